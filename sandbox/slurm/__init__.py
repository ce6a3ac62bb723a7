"""The Slurm run backend: the sandbox's runner executed as a Slurm job (sbatch, scontrol, sacct,
scancel), through a directory the submitting machine and the nodes share."""

from sandbox.slurm.commands import SlurmError
from sandbox.slurm.job import run_job
from sandbox.slurm.options import SlurmOptions

__all__ = ["run_job", "SlurmOptions", "SlurmError"]
