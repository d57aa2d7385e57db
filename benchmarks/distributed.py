"""Data-parallel scaling: `mpiexec -n N python -m benchmarks --distributed [--quick]`.

One GAN iteration in pytorch/examples' order (D on real and detached fakes, then G through
D) at a fixed global batch B, timed three ways, interleaved repeat by repeat so that a load
change on a shared machine hits all three alike:

- 1 process: rank 0 alone, batch B, no communication (the other ranks sleep meanwhile);
- N processes, overlap on: batch B / N each, DistributedDataParallel starting each
  bucket's all-reduce during the backward, SyncBatchNorm in the DCGAN;
- N processes, overlap off: the same, all buckets reduced after the backward.

Reports steps per second, the strong-scaling efficiency (steps/s at N) / (N x steps/s at
1), and the communication share: the time the gradient all-reduces held the process (their
starts, their waits and, off, the blocking calls) over the step time. Writes
OUT/distributed.json and prints a markdown table (rank 0).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import minigrad as mg
import minigrad.distributed as dist
import minigrad.nn.functional as F
from minigrad import nn
from models.dcgan import Discriminator28, Generator28
from models.mlp_gan import ImageMLPGenerator, MLPDiscriminator

SETTINGS = {
    "full": {"batch": 64, "steps": 8, "warmup": 2, "repeat": 3, "width": 64},
    "quick": {"batch": 16, "steps": 2, "warmup": 1, "repeat": 2, "width": 8},
}
BUCKET_MB = 1.0  # small enough that the DCGAN's gradients make several buckets


def build(workload: str, width: int, distributed: bool, overlap: bool) -> tuple[Any, ...]:
    mg.manual_seed(0)
    if workload == "dcgan":
        G, D = Generator28(nz=100, ngf=width), Discriminator28(ndf=width)
    else:
        G = ImageMLPGenerator(nz=100, hidden=(4 * width, 4 * width))
        D = MLPDiscriminator(in_dim=784, hidden=(4 * width, 4 * width))
    if distributed:
        G, D = (
            dist.DistributedDataParallel(
                nn.convert_sync_batchnorm(m), bucket_cap_mb=BUCKET_MB, overlap=overlap
            )
            for m in (G, D)
        )
    opt_g = mg.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = mg.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    return G, D, opt_g, opt_d


def gan_step(G: Any, D: Any, opt_g: Any, opt_d: Any, real: mg.Tensor, z: mg.Tensor) -> None:
    D.zero_grad()
    fake = G(z)
    (F.softplus(-D(real)).mean() + F.softplus(D(fake.detach())).mean()).backward()
    opt_d.step()
    G.zero_grad()
    F.softplus(-D(fake)).mean().backward()
    opt_g.step()


def timed(setup: tuple[Any, ...], batch: int, steps: int, warmup: int) -> dict[str, float]:
    """Steps per second over `steps` steps after `warmup`, and the gradient communication
    share (0 without DistributedDataParallel)."""
    G, D = setup[:2]
    rng = np.random.default_rng(dist.rank())
    real = mg.Tensor(np.tanh(rng.standard_normal((batch, 1, 28, 28))).astype(np.float32))
    z = mg.Tensor(rng.standard_normal((batch, 100)).astype(np.float32))
    for _ in range(warmup):
        gan_step(*setup, real, z)
    ddps = [m for m in (G, D) if isinstance(m, dist.DistributedDataParallel)]
    comm0 = sum(m.comm_seconds for m in ddps)
    if ddps:  # the 1-process baseline runs on rank 0 alone: no barrier there
        dist.barrier()
    t0 = time.perf_counter()
    for _ in range(steps):
        gan_step(*setup, real, z)
    elapsed = time.perf_counter() - t0
    comm = sum(m.comm_seconds for m in ddps) - comm0
    return {"steps_per_s": steps / elapsed, "comm_share": comm / elapsed}


def rank0_alone(fn: Any) -> Any:
    """fn() on rank 0 while the others sleep (a busy MPI wait would take a core from it)."""
    if dist.rank() == 0:
        out = fn()
    MPI = dist.comm.mpi() if dist.world_size() > 1 else None
    if MPI is not None:
        req = MPI.COMM_WORLD.Ibarrier()
        while not req.Test():
            time.sleep(0.01)
    return out if dist.rank() == 0 else None


def stats(xs: list[float]) -> dict[str, Any]:
    return {"mean": float(np.mean(xs)), "std": float(np.std(xs)), "repeats": xs}


def run(workload: str, cfg: dict[str, Any]) -> dict[str, Any]:
    world, batch = dist.world_size(), cfg["batch"]
    if batch % world:
        raise ValueError(f"--distributed: batch {batch} is not divisible by {world} processes")
    one = rank0_alone(lambda: build(workload, cfg["width"], False, False))
    on = build(workload, cfg["width"], True, True)
    off = build(workload, cfg["width"], True, False)
    seen: dict[str, list[dict[str, float]]] = {"1": [], "on": [], "off": []}
    args = (cfg["steps"], cfg["warmup"])
    for _ in range(cfg["repeat"]):
        r = rank0_alone(lambda: timed(one, batch, *args))
        if r is not None:
            seen["1"].append(r)
        seen["on"].append(timed(on, batch // world, *args))
        seen["off"].append(timed(off, batch // world, *args))
    if dist.rank() != 0:
        return {}
    sps = {k: [r["steps_per_s"] for r in v] for k, v in seen.items()}
    g_params, d_params = (sum(p.numel() for p in m.parameters()) for m in on[:2])
    n_params = g_params + d_params
    out: dict[str, Any] = {
        "workload": workload,
        "global_batch": batch,
        "processes": world,
        "parameters": n_params,
        # all-reduced per iteration: D's gradients in the D step, G's and again D's (the G
        # step's backward passes through D) in the G step; float32
        "gradient_mb_per_step": 4 * (g_params + 2 * d_params) / 2**20,
        "buckets": [len(m._buckets) for m in on[:2]],
        "steps_per_s_1": stats(sps["1"]),
    }
    for k in ("on", "off"):
        eff = [s / (world * b) for s, b in zip(sps[k], sps["1"], strict=True)]
        out[f"overlap_{k}"] = {
            "steps_per_s": stats(sps[k]),
            "efficiency": stats(eff),
            "comm_share": stats([r["comm_share"] for r in seen[k]]),
        }
    return out


def table(results: list[dict[str, Any]]) -> str:
    def ms(s: dict[str, Any], pct: bool = False) -> str:
        f = 100 if pct else 1
        return f"{f * s['mean']:.2f} +- {f * s['std']:.2f}"

    lines = [
        "| workload | B | params | 1 proc steps/s | N | overlap | steps/s | efficiency % "
        "| comm share % |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for k in ("on", "off"):
            o = r[f"overlap_{k}"]
            lines.append(
                f"| {r['workload']} | {r['global_batch']} | {r['parameters']:,} "
                f"| {ms(r['steps_per_s_1'])} | {r['processes']} | {k} | {ms(o['steps_per_s'])} "
                f"| {ms(o['efficiency'], True)} | {ms(o['comm_share'], True)} |"
            )
    return "\n".join(lines)


def main(quick: bool, out_dir: Path, repeat: int | None = None) -> dict[str, Any]:
    cfg = dict(SETTINGS["quick" if quick else "full"])
    if repeat is not None:
        cfg["repeat"] = max(1, repeat)
    dist.init()
    results = [run(w, cfg) for w in ("dcgan", "mlp")]
    if dist.rank() != 0:
        return {}
    res = {
        "command": "mpiexec -n N python -m benchmarks --distributed " + " ".join(sys.argv[1:]),
        "settings": cfg,
        "bucket_cap_mb": BUCKET_MB,
        "load_start": os.getloadavg()[0],
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "results": results,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "distributed.json").write_text(json.dumps(res, indent=1))
    print(table(results), flush=True)
    return res
