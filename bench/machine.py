"""The processor a benchmark ran on, for its table header."""
import os
import platform


def processor():
    """Vendor, family, model and vector extensions from /proc/cpuinfo: speeds differ 2-3x between kinds."""
    fields = {}
    for line in open("/proc/cpuinfo"):
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    flags = fields.get("flags", "").split()
    vectors = [v for v in ("avx2", "avx512f", "avx512_bf16", "amx_tile") if v in flags]
    caps = [f"{name}={os.environ[name]}" for name in ("ONEDNN_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS") if os.environ.get(name)]
    capped = f", kernels capped by {' '.join(caps)}" if caps else ""  # an AVX-512 machine run as an AVX2 one
    return (f"{fields.get('model name', platform.machine())} ({fields.get('vendor_id', '?')}, family {fields.get('cpu family', '?')} "
            f"model {fields.get('model', '?')}, {'/'.join(vectors) or 'no AVX2'}{capped})")
