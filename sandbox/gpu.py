"""NVIDIA GPU pass-through: device nodes, the in-sandbox CUDA pre-flight, and NVML facts."""

from __future__ import annotations

import glob
import os
import re
import threading

# Nodes CUDA opens; checked on an H100: the numbered devices, nvidiactl and the UVM pair.
CONTROL_NODES = ("nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset")
CUDA_UNAVAILABLE = 3  # exit code of the pre-flight when CUDA cannot see a device

# Runs inside the sandbox before the lab: cuInit through the driver library, no torch needed.
PREFLIGHT = r"""
import ctypes, sys
try:
    cuda = ctypes.CDLL("libcuda.so.1")
except OSError as exc:
    print(f"sandbox pre-flight: libcuda.so.1 not loadable: {exc}", file=sys.stderr); sys.exit(3)
rc = cuda.cuInit(0)
count = ctypes.c_int(0)
if rc == 0:
    rc = cuda.cuDeviceGetCount(ctypes.byref(count))
if rc != 0 or count.value < 1:
    print(f"sandbox pre-flight: CUDA sees no device (cuInit/cuDeviceGetCount error {rc}, {count.value} devices)", file=sys.stderr)
    sys.exit(3)
print(f"sandbox pre-flight: CUDA sees {count.value} device(s)")
"""


def device_nodes(dev_dir: str = "/dev") -> list[str]:
    """The NVIDIA nodes present under dev_dir: numbered GPUs first, then the control nodes."""
    numbered = [p for p in glob.glob(os.path.join(dev_dir, "nvidia*"))
                if re.fullmatch(r"nvidia\d+", os.path.basename(p))]
    numbered.sort(key=lambda p: int(os.path.basename(p)[6:]))
    controls = [os.path.join(dev_dir, n) for n in CONTROL_NODES if os.path.exists(os.path.join(dev_dir, n))]
    caps = sorted(glob.glob(os.path.join(dev_dir, "nvidia-caps", "*")))
    return numbered + controls + caps


def visible_devices(nodes: list[str], inherited: str | None) -> str:
    """CUDA_VISIBLE_DEVICES for the lab: the runner's own setting wins, else every bound GPU."""
    if inherited:
        return inherited
    indices = [os.path.basename(n)[6:] for n in nodes if re.fullmatch(r"nvidia\d+", os.path.basename(n))]
    return ",".join(indices)


def nvml_facts() -> dict | None:
    """GPU names, driver and CUDA versions from NVML; None when NVML is not usable here."""
    try:
        import pynvml
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except Exception:
        return None
    try:
        cuda = pynvml.nvmlSystemGetCudaDriverVersion_v2()
        devices = []
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            name = pynvml.nvmlDeviceGetName(handle)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
            devices.append({"index": index, "name": name.decode() if isinstance(name, bytes) else name,
                            "memory_total_mb": round(memory.total / 2**20)})
        driver = pynvml.nvmlSystemGetDriverVersion()
        return {"driver": driver.decode() if isinstance(driver, bytes) else driver,
                "cuda_driver": f"{cuda // 1000}.{(cuda % 1000) // 10}", "devices": devices}
    except Exception as exc:  # NVML present but failing: say so in the record
        return {"error": f"NVML: {exc}"}
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:
            pass


class GpuMemoryPoller(threading.Thread):
    """Polls NVML while a run lasts. Keeps the peak GPU memory of the run's own processes; when
    NVML cannot name them (a container whose pids NVML reports from another namespace), the
    peak rise of the devices' used memory over the level before the run stands in."""

    def __init__(self, pids_of_run, interval_s: float = 0.1):
        super().__init__(name="gpu-memory-poller", daemon=True)
        self.pids_of_run = pids_of_run  # callable returning the run's current host pids
        self.interval_s = interval_s
        self.process_peak: int | None = None
        self.baseline_used: int | None = None
        self.device_peak_used: int = 0
        self.stop_event = threading.Event()
        self.started_ok = threading.Event()

    def run(self) -> None:
        try:
            import pynvml

            pynvml.nvmlInit()
        except Exception:
            self.started_ok.set()
            return
        try:
            handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
            self.baseline_used = self._device_used(pynvml, handles)
            self.process_peak = 0
            self.started_ok.set()
            while not self.stop_event.is_set():
                self._sample(pynvml, handles)
                self.stop_event.wait(self.interval_s)
            self._sample(pynvml, handles)
        finally:
            self.started_ok.set()
            try:
                pynvml.nvmlShutdown()
            except Exception:
                pass

    @staticmethod
    def _device_used(pynvml, handles) -> int:
        used = 0
        for handle in handles:
            try:
                used += pynvml.nvmlDeviceGetMemoryInfo(handle).used
            except Exception:
                pass
        return used

    def _sample(self, pynvml, handles) -> None:
        pids = self.pids_of_run()
        used = 0
        for handle in handles:
            try:
                procs = pynvml.nvmlDeviceGetComputeRunningProcesses(handle)
            except Exception:
                continue
            used += sum(p.usedGpuMemory or 0 for p in procs if p.pid in pids)
        self.process_peak = max(self.process_peak or 0, used)
        self.device_peak_used = max(self.device_peak_used, self._device_used(pynvml, handles))

    def stop(self) -> tuple[float | None, str]:
        """(peak MiB, how it was measured)."""
        self.stop_event.set()
        if self.is_alive():
            self.join(timeout=2)
        if self.process_peak:
            return round(self.process_peak / 2**20, 1), "NVML per-process memory of the run's pids"
        if self.baseline_used is not None:
            rise = max(0, self.device_peak_used - self.baseline_used)
            return round(rise / 2**20, 1), "NVML device used-memory rise during the run (pids not visible)"
        return None, "NVML unavailable"
