"""`python -m minigrad JOB [ARGS]`: a job, as its console script `minigrad-JOB` runs it."""

from minigrad.jobs import main

if __name__ == "__main__":
    main()
