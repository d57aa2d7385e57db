# minigrad before anything imports NumPy: it sets how long NumPy's idle OpenBLAS workers
# spin, which OpenBLAS reads when NumPy loads it (minigrad/_openblas.py)
import minigrad  # noqa: F401
