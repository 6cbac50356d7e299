#!/usr/bin/env bash
# build-libtorchsharp.sh -- build TorchSharp 0.107.0's native glue library (libLibTorchSharp.so)
# against a libtorch already on the machine: the one inside a pip/conda PyTorch (CPU or CUDA), or a
# plain libtorch folder (PyTorch's libtorch zip: include/, lib/, share/cmake/, build-version).
# The project's copy of ../shared/gpu/kit/build-libtorchsharp.sh (verified on an H200, 2026-12-04);
# the project's changes: TORCH_DIR (a plain libtorch, read by torch-info.sh), SRC_TARBALL required.
# Called by scripts/build-native.sh, which also fetches the sources (sources.sh).
#
# usage:   SRC_TARBALL=<sources.tar.gz> [TORCH_DIR=<torch dir>] bash build-libtorchsharp.sh OUT_DIR
#          without TORCH_DIR, PYTHON (default python3) must `import torch`
#
# It unpacks SRC_TARBALL (TorchSharp commit c20b6a1c = release 0.107.0, made by sources.sh)
# into a work dir, adapts TorchSharp's own CMake files (no -Werror, ABI flag and C++
# standard taken from torch, RUNPATH to torch/lib, libtorch_cuda.so force-linked), configures with
# CMake + Ninja against find_package(Torch) from the pip install, builds with -j16, checks the
# result (exports, NEEDED, unresolved deps), copies it to OUT_DIR and runs a native CUDA smoke test.
#
# Environment knobs (all optional):
#   PYTHON=python3        interpreter that can `import torch` (the venv's python3); for a plain
#                         libtorch any python3 (it only edits text)
#   TORCH_DIR=""          a plain libtorch folder (read by torch-info.sh); default: ask PYTHON's torch
#   JOBS=16               parallel compile jobs
#   MODE=auto             auto | upstream | minimal | direct
#                           upstream: TorchSharp's own CMakeLists (patched) + find_package(Torch)
#                           minimal : small CMakeLists from this script + find_package(Torch)
#                           direct  : small CMakeLists, NO find_package: torch/include + torch/lib
#                                     used directly (needs no CUDA toolkit at all)
#                           auto    : try upstream, then minimal, then direct (configure stage only)
#   WORK_DIR=/tmp/libtorchsharp-build.$UID   kept after the run; a rerun reuses finished objects
#   CLEAN=1               wipe WORK_DIR first
#   CXX_STD=auto          17 or 20 (auto: 20 only if torch's headers demand C++20)
#   FORCE_LINK_CUDA=1     record libtorch_cuda.so + libc10_cuda.so as NEEDED (see NOTES.md)
#   ALLOW_PARTIAL=0       1: if some .cpp files fail to compile, build without them (LOUD warning;
#                         the managed calls into the missing functions will then throw
#                         EntryPointNotFoundException). Only files in PARTIAL_OK_FILES may be
#                         dropped; any other failing file still stops the build.
#   PARTIAL_OK_FILES="THSExport.cpp THSJIT.cpp THSVision.cpp THSData.cpp cifar10.cpp"
#                         optional features (torch.export, TorchScript, torchvision ops, datasets);
#                         "all" allows dropping anything (the result may be useless)
#   SMOKE_TEST=1          0: skip the native CUDA smoke test
#   TORCH_CUDA_ARCH_LIST=9.0   only to stop torch's CMake from probing the GPU (no CUDA code here)
#   CMAKE_EXTRA_ARGS=""   extra arguments for the cmake configure call
# exit codes: 0 ok; 1 build/verification failure; 2 library built and copied but CUDA smoke test failed
set -Eeuo pipefail

SCRIPT_START=$(date +%s)
KIT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROG="build-libtorchsharp"

ts()   { date +%H:%M:%S; }
log()  { printf '[%s %s] %s\n' "$PROG" "$(ts)" "$*" >&2; }
warn() { printf '[%s %s] WARNING: %s\n' "$PROG" "$(ts)" "$*" >&2; }
step() { printf '\n[%s %s] ======== %s ========\n' "$PROG" "$(ts)" "$*" >&2; }
die()  {
  printf '\n[%s %s] ************************************************************\n' "$PROG" "$(ts)" >&2
  printf '[%s %s] ERROR: %s\n' "$PROG" "$(ts)" "$*" >&2
  printf '[%s %s] ************************************************************\n' "$PROG" "$(ts)" >&2
  exit 1
}
# report unexpected failures (only while errexit is on; deliberate `set +e` sections stay quiet)
trap 'rc=$?; if [[ $- == *e* ]]; then printf "\n[%s %s] ERROR: command failed (exit %s) at line %s: %s\n" "$PROG" "$(ts)" "$rc" "$LINENO" "$BASH_COMMAND" >&2; fi' ERR

[[ $# -ge 1 && -n "${1:-}" ]] || { sed -n '2,30p' "$0" >&2; die "missing argument: OUT_DIR (folder that receives libLibTorchSharp.so)"; }
OUT_DIR="$1"
mkdir -p "$OUT_DIR" || die "cannot create OUT_DIR=$OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"

PYTHON="${PYTHON:-python3}"
JOBS="${JOBS:-16}"
MODE="${MODE:-auto}"
WORK_DIR="${WORK_DIR:-/tmp/libtorchsharp-build.$(id -u)}"
CXX_STD="${CXX_STD:-auto}"
FORCE_LINK_CUDA="${FORCE_LINK_CUDA:-1}"
ALLOW_PARTIAL="${ALLOW_PARTIAL:-0}"
PARTIAL_OK_FILES="${PARTIAL_OK_FILES:-THSExport.cpp THSJIT.cpp THSVision.cpp THSData.cpp cifar10.cpp}"
SMOKE_TEST="${SMOKE_TEST:-1}"
SRC_TARBALL="${SRC_TARBALL:?SRC_TARBALL: the TorchSharp sources (scripts/build-native.sh makes them with sources.sh)}"
BUILD_TYPE="${BUILD_TYPE:-Release}"
export TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}"
case "$MODE" in auto|upstream|minimal|direct) ;; *) die "MODE must be auto|upstream|minimal|direct (got '$MODE')";; esac

log "kit dir: $KIT_DIR"
log "output : $OUT_DIR"
log "work   : $WORK_DIR   (MODE=$MODE JOBS=$JOBS CXX_STD=$CXX_STD FORCE_LINK_CUDA=$FORCE_LINK_CUDA ALLOW_PARTIAL=$ALLOW_PARTIAL)"

# ---------------------------------------------------------------------------------------------
step "[1/8] tools"
command -v cmake >/dev/null || die "cmake not found on PATH"
command -v ninja >/dev/null || die "ninja not found on PATH (CMake generator 'Ninja' is used)"
command -v "$PYTHON" >/dev/null || die "python interpreter '$PYTHON' not found (set PYTHON=/opt/torch/.venv/bin/python3)"
for t in readelf nm objdump ldd; do command -v "$t" >/dev/null || die "$t not found (binutils / libc-bin)"; done
CXX_BIN="${CXX:-$(command -v c++ || command -v g++ || command -v clang++ || true)}"
CC_BIN="${CC:-$(command -v cc || command -v gcc || command -v clang || true)}"
[[ -n "$CXX_BIN" && -n "$CC_BIN" ]] || die "no C/C++ compiler found (install g++ >= 9 or set CC/CXX)"
export CC="$CC_BIN" CXX="$CXX_BIN"
CMAKE_VER=$(cmake --version | head -1 | awk '{print $3}')
log "cmake  $CMAKE_VER ($(command -v cmake))"
log "ninja  $(ninja --version) ($(command -v ninja))"
log "CC     $CC_BIN: $("$CC_BIN" --version | head -1)"
log "CXX    $CXX_BIN: $("$CXX_BIN" --version | head -1)"
if ! printf '%s\n%s\n' "3.18" "$CMAKE_VER" | sort -V -C; then die "cmake >= 3.18 needed (have $CMAKE_VER)"; fi
CXX_MACROS="$("$CXX_BIN" -dM -E -x c++ /dev/null 2>/dev/null || true)"
if ! grep -q '__clang__' <<<"$CXX_MACROS"; then
  GCC_MAJOR=$(awk '$2=="__GNUC__"{print $3}' <<<"$CXX_MACROS")
  [[ "${GCC_MAJOR:-0}" -ge 9 ]] || die "g++ ${GCC_MAJOR:-?} is too old: libtorch 2.x headers need GCC >= 9"
  log "compiler is GCC $GCC_MAJOR"
fi
NVCC_BIN="$(command -v nvcc || true)"
[[ -z "$NVCC_BIN" && -x /usr/local/cuda/bin/nvcc ]] && NVCC_BIN=/usr/local/cuda/bin/nvcc
if [[ -n "$NVCC_BIN" ]]; then
  CUDA_ROOT="$(cd "$(dirname "$NVCC_BIN")/.." && pwd)"
  log "nvcc   $NVCC_BIN: $("$NVCC_BIN" --version | grep -i release | head -1)"
else
  CUDA_ROOT=""
  warn "nvcc not found: find_package(Torch) of a CUDA torch will probably fail -> MODE=auto falls back to 'direct'"
fi

# ---------------------------------------------------------------------------------------------
step "[2/8] PyTorch install"
if [[ -n "${TORCH_DIR:-}" && ! -f "$TORCH_DIR/__init__.py" ]]; then
  TORCH_INFO="$(PYTHON="$PYTHON" bash "$KIT_DIR/torch-info.sh" "$TORCH_DIR")" || die "$TORCH_DIR: not a torch this script can build against (above)"
else
  TORCH_INFO="$("$PYTHON" - <<'PYEOF'
import os, sys
import torch, torch.utils
d = os.path.dirname(os.path.abspath(torch.__file__))
print("TORCH_VERSION=" + torch.__version__)
print("TORCH_CUDA=" + str(torch.version.cuda))
print("TORCH_ABI=" + str(int(bool(torch._C._GLIBCXX_USE_CXX11_ABI))))
print("TORCH_CMAKE_PREFIX=" + os.path.abspath(torch.utils.cmake_prefix_path))
print("TORCH_DIR=" + d)
print("PY_EXE=" + sys.executable)
print("PY_SITE=" + os.path.dirname(d))
PYEOF
)" || die "'$PYTHON -c import torch' failed: activate /opt/torch/.venv or set PYTHON=/opt/torch/.venv/bin/python3"
fi
eval "$(printf '%s\n' "$TORCH_INFO" | grep -E '^[A-Z_]+=' | sed -E "s/^([A-Z_]+)=(.*)$/\1='\2'/")"
TORCH_INC="$TORCH_DIR/include"
TORCH_LIB="$TORCH_DIR/lib"
log "torch ${TORCH_VERSION} (CUDA ${TORCH_CUDA}) at $TORCH_DIR"
log "python ${PY_EXE}"
log "torch._C._GLIBCXX_USE_CXX11_ABI = ${TORCH_ABI}"
log "torch.utils.cmake_prefix_path   = ${TORCH_CMAKE_PREFIX}"
case "$TORCH_VERSION" in 2.11.*) ;; *) warn "this kit was prepared for torch 2.11.x, found $TORCH_VERSION (continuing)";; esac
[[ "$TORCH_CUDA" != "None" ]] || warn "this torch has no CUDA (torch.version.cuda is None): the result will be CPU-only"
for f in "$TORCH_CMAKE_PREFIX/Torch/TorchConfig.cmake" "$TORCH_INC/torch/script.h" \
         "$TORCH_INC/torch/csrc/api/include/torch/cuda.h" "$TORCH_INC/torch/csrc/api/include/torch/torch.h" \
         "$TORCH_LIB/libtorch.so" "$TORCH_LIB/libtorch_cpu.so" "$TORCH_LIB/libc10.so"; do
  [[ -e "$f" ]] || die "missing in the torch install: $f"
done
[[ -e "$TORCH_INC/torch/csrc/inductor/aoti_package/model_package_loader.h" ]] || \
  warn "torch/csrc/inductor/aoti_package/model_package_loader.h missing: THSExport.cpp (torch.export) will not compile -> rerun with ALLOW_PARTIAL=1"
HAVE_TORCH_CUDA=0
if [[ -e "$TORCH_LIB/libtorch_cuda.so" ]]; then HAVE_TORCH_CUDA=1; else warn "no $TORCH_LIB/libtorch_cuda.so"; fi
if [[ "$CXX_STD" == auto ]]; then
  CXX_STD=17
  if grep -qsE '__cplusplus *< *202002L' "$TORCH_INC/ATen/ATen.h" "$TORCH_INC/torch/all.h" "$TORCH_INC/torch/csrc/api/include/torch/all.h"; then
    CXX_STD=20
  fi
fi
log "C++ standard: c++$CXX_STD  (TorchSharp asks for 17; torch >= 2.14 headers demand 20)"

# ---------------------------------------------------------------------------------------------
step "[3/8] sources"
[[ -f "$SRC_TARBALL" ]] || die "source tarball not found: $SRC_TARBALL"
[[ "${CLEAN:-0}" == 1 ]] && { log "CLEAN=1: removing $WORK_DIR"; rm -rf "$WORK_DIR"; }
mkdir -p "$WORK_DIR/logs"
SRC_ROOT="$WORK_DIR/src/TorchSharp-0.107.0-native"
NATIVE="$SRC_ROOT/src/Native"
TAR_SUM="$(sha256sum "$SRC_TARBALL" | awk '{print $1}')"
shopt -s nullglob
PATCHES=("$KIT_DIR"/patches/*.patch)
shopt -u nullglob
PATCH_SUM="$(cat "$0" "${PATCHES[@]}" | sha256sum | awk '{print $1}')"
STAMP="$WORK_DIR/src/.stamp"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$TAR_SUM $PATCH_SUM" ]]; then
  log "reusing unpacked + patched sources in $WORK_DIR/src (same tarball, same patches)"
else
  # keep the previous tree to compare: files whose content is unchanged keep their (old) mtimes,
  # so a rerun recompiles only what a new/removed patch really changed
  rm -rf "$WORK_DIR/src.prev"
  [[ -d "$WORK_DIR/src" ]] && mv "$WORK_DIR/src" "$WORK_DIR/src.prev"
  mkdir -p "$WORK_DIR/src"
  tar -xzf "$SRC_TARBALL" -C "$WORK_DIR/src" || die "cannot unpack $SRC_TARBALL"
  [[ -f "$NATIVE/LibTorchSharp/THSTensor.cpp" ]] || die "unexpected tarball layout (no $NATIVE/LibTorchSharp/THSTensor.cpp)"
  log "unpacked $(find "$SRC_ROOT" -type f | wc -l) files into $SRC_ROOT"

  # -------------------------------------------------------------------------------------------
  step "[4/8] adapt TorchSharp's CMake files + apply patches"
  "$PYTHON" - "$NATIVE" <<'PYEOF' || die "could not adapt TorchSharp's CMakeLists (upstream text changed?)"
import sys, pathlib
native = pathlib.Path(sys.argv[1])
def edit(path, old, new):
    p = native / path
    s = p.read_text()
    n = s.count(old)
    if n != 1:
        sys.exit(f"  {path}: expected exactly 1 occurrence of {old!r}, found {n}")
    p.write_text(s.replace(old, new))
    print(f"  patched {path}: {old.strip().splitlines()[0]!r}")
# top-level: no -Werror (new torch headers bring new warnings), ABI from torch instead of hard-coded 1
edit("CMakeLists.txt",
     "    add_definitions(-Werror) # treat warnings as errors\n    add_definitions(-D_GLIBCXX_USE_CXX11_ABI=1)\n",
     "    if(TORCHSHARP_WERROR)\n        add_definitions(-Werror) # treat warnings as errors\n    endif()\n"
     "    if(NOT DEFINED TORCHSHARP_CXX11_ABI)\n        set(TORCHSHARP_CXX11_ABI 1)\n    endif()\n"
     "    add_definitions(-D_GLIBCXX_USE_CXX11_ABI=${TORCHSHARP_CXX11_ABI})\n"
     "    add_compile_options(-Wno-deprecated-declarations)\n")
lts = "LibTorchSharp/CMakeLists.txt"
# C++ standard from the build script (17 by default, as upstream)
edit(lts, "    CXX_STANDARD 17\n", "    CXX_STANDARD ${TORCHSHARP_CXX_STANDARD}\n")
edit(lts, "$<$<COMPILE_LANGUAGE:CXX>:-std=c++17>", "$<$<COMPILE_LANGUAGE:CXX>:-std=c++${TORCHSHARP_CXX_STANDARD}>")
edit(lts, "project(LibTorchSharp)\n",
     "project(LibTorchSharp)\nif(NOT DEFINED TORCHSHARP_CXX_STANDARD)\n  set(TORCHSHARP_CXX_STANDARD 17)\nendif()\n")
# we copy the library from the build tree: no install step; RUNPATH = $ORIGIN + torch/lib;
# drop unneeded libs (system CUDA runtime) but keep libtorch_cuda/libc10_cuda as NEEDED
edit(lts, "install_library_and_symbols (LibTorchSharp)",
     "include(${CMAKE_CURRENT_LIST_DIR}/../TorchSharpKit.cmake)\n"
     "if(NOT TORCHSHARP_SKIP_INSTALL)\n  install_library_and_symbols (LibTorchSharp)\nendif()")
PYEOF
  # shared helper used by the patched upstream CMakeLists and by the minimal CMakeLists
  cat > "$NATIVE/TorchSharpKit.cmake" <<'CMEOF'
# Added by build-libtorchsharp.sh (not part of TorchSharp).
if(NOT TORCHSHARP_TORCH_LIB_DIR)
  if(TORCH_INSTALL_PREFIX)
    set(TORCHSHARP_TORCH_LIB_DIR "${TORCH_INSTALL_PREFIX}/lib")
  else()
    message(FATAL_ERROR "TORCHSHARP_TORCH_LIB_DIR not set")
  endif()
endif()
set_target_properties(LibTorchSharp PROPERTIES
  BUILD_WITH_INSTALL_RPATH ON
  INSTALL_RPATH "\$ORIGIN;${TORCHSHARP_TORCH_LIB_DIR}"
  INSTALL_RPATH_USE_LINK_PATH OFF)
# --as-needed drops libs nothing references (e.g. the system CUDA runtime that torch's CMake
# config adds); libtorch.so (+ libtorch_cuda.so, libc10_cuda.so) are kept as NEEDED on purpose,
# so that loading the glue library alone registers torch's CUDA hooks.
target_link_options(LibTorchSharp PRIVATE "LINKER:--as-needed" "LINKER:--enable-new-dtags")
set(_tsk_force "${TORCHSHARP_TORCH_LIB_DIR}/libtorch.so")
if(TORCHSHARP_FORCE_LINK_CUDA)
  foreach(_n torch_cuda c10_cuda)
    if(EXISTS "${TORCHSHARP_TORCH_LIB_DIR}/lib${_n}.so")
      list(APPEND _tsk_force "${TORCHSHARP_TORCH_LIB_DIR}/lib${_n}.so")
    else()
      message(WARNING "TorchSharpKit: no lib${_n}.so in ${TORCHSHARP_TORCH_LIB_DIR} (CPU-only torch?)")
    endif()
  endforeach()
endif()
string(REPLACE ";" "," _tsk_csv "${_tsk_force}")
target_link_options(LibTorchSharp PRIVATE "LINKER:--push-state,--no-as-needed,${_tsk_csv},--pop-state")
message(STATUS "TorchSharpKit: NEEDED forced for ${_tsk_force}")
message(STATUS "TorchSharpKit: RUNPATH \$ORIGIN:${TORCHSHARP_TORCH_LIB_DIR}")
CMEOF
  # minimal CMakeLists (MODE=minimal / direct)
  mkdir -p "$WORK_DIR/src/minimal"
  cat > "$WORK_DIR/src/minimal/CMakeLists.txt" <<'CMEOF'
# Minimal build of TorchSharp's LibTorchSharp (written by build-libtorchsharp.sh).
cmake_minimum_required(VERSION 3.18)
project(LibTorchSharpKit LANGUAGES C CXX)
set(TORCHSHARP_NATIVE_DIR "" CACHE PATH "TorchSharp src/Native")
set(TORCHSHARP_CXX11_ABI "1" CACHE STRING "_GLIBCXX_USE_CXX11_ABI value (from torch)")
set(TORCHSHARP_CXX_STANDARD "17" CACHE STRING "C++ standard")
option(TORCHSHARP_DIRECT "skip find_package(Torch); use TORCHSHARP_TORCH_DIR directly" OFF)
set(TORCHSHARP_TORCH_DIR "" CACHE PATH "site-packages/torch")
set(TORCHSHARP_TORCH_LIB_DIR "" CACHE PATH "site-packages/torch/lib")
option(TORCHSHARP_FORCE_LINK_CUDA "record libtorch_cuda.so/libc10_cuda.so as NEEDED" ON)
set(TORCHSHARP_EXCLUDE "" CACHE STRING "source file names to leave out (emergency partial build)")
set(TORCHSHARP_EXTRA_DEFS "" CACHE STRING "compile definitions torch's exported targets would add (direct mode)")

set(LTS_DIR "${TORCHSHARP_NATIVE_DIR}/LibTorchSharp")
if(NOT EXISTS "${LTS_DIR}/THSTensor.cpp")
  message(FATAL_ERROR "TORCHSHARP_NATIVE_DIR (${TORCHSHARP_NATIVE_DIR}) does not hold LibTorchSharp/")
endif()
# same source list as TorchSharp's own LibTorchSharp/CMakeLists.txt (it leaves out the stale
# THSConvolution.cpp); fall back to a glob without that file if the list cannot be read
file(READ "${LTS_DIR}/CMakeLists.txt" _up)
string(REGEX MATCH "set\\(SOURCES([^)]*)\\)" _blk "${_up}")
string(REGEX MATCHALL "[A-Za-z0-9_]+\\.(cpp|c)" _names "${CMAKE_MATCH_1}")
set(LTS_SOURCES "")
foreach(_s IN LISTS _names)
  list(APPEND LTS_SOURCES "${LTS_DIR}/${_s}")
endforeach()
if(NOT LTS_SOURCES)
  message(WARNING "could not read SOURCES from ${LTS_DIR}/CMakeLists.txt; globbing instead")
  file(GLOB LTS_SOURCES "${LTS_DIR}/*.cpp" "${LTS_DIR}/*.c")
  list(FILTER LTS_SOURCES EXCLUDE REGEX "/THSConvolution\\.cpp$")
endif()
foreach(_x IN LISTS TORCHSHARP_EXCLUDE)
  list(FILTER LTS_SOURCES EXCLUDE REGEX "/${_x}$")
  message(WARNING "PARTIAL BUILD: leaving out ${_x}")
endforeach()
list(LENGTH LTS_SOURCES _n)
message(STATUS "LibTorchSharp: ${_n} source files")

if(TORCHSHARP_DIRECT)
  set(TORCH_INCLUDE_DIRS "${TORCHSHARP_TORCH_DIR}/include" "${TORCHSHARP_TORCH_DIR}/include/torch/csrc/api/include")
  set(TORCH_LIBRARIES "${TORCHSHARP_TORCH_LIB_DIR}/libtorch.so" "${TORCHSHARP_TORCH_LIB_DIR}/libtorch_cpu.so" "${TORCHSHARP_TORCH_LIB_DIR}/libc10.so")
  foreach(_f IN LISTS TORCH_LIBRARIES TORCH_INCLUDE_DIRS)
    if(NOT EXISTS "${_f}")
      message(FATAL_ERROR "missing ${_f}")
    endif()
  endforeach()
  message(STATUS "DIRECT mode: no find_package(Torch); libs: ${TORCH_LIBRARIES}; extra defs: ${TORCHSHARP_EXTRA_DEFS}")
else()
  find_package(Torch REQUIRED)
  message(STATUS "find_package(Torch): TORCH_LIBRARIES=${TORCH_LIBRARIES}")
endif()

add_library(LibTorchSharp SHARED ${LTS_SOURCES})
target_include_directories(LibTorchSharp PRIVATE "${TORCHSHARP_NATIVE_DIR}" "${LTS_DIR}" ${TORCH_INCLUDE_DIRS})
target_link_libraries(LibTorchSharp PRIVATE ${TORCH_LIBRARIES})
target_compile_definitions(LibTorchSharp PRIVATE _GLIBCXX_USE_CXX11_ABI=${TORCHSHARP_CXX11_ABI} __LINUX__ _NO_ASYNCRTIMP _NO_PPLXIMP)
if(TORCHSHARP_DIRECT AND TORCHSHARP_EXTRA_DEFS)
  target_compile_definitions(LibTorchSharp PRIVATE ${TORCHSHARP_EXTRA_DEFS})
endif()
target_compile_options(LibTorchSharp PRIVATE -fvisibility=hidden -fstack-protector-strong
  -Wno-unused-local-typedefs -Wno-deprecated-declarations)
set_target_properties(LibTorchSharp PROPERTIES
  POSITION_INDEPENDENT_CODE ON
  CXX_STANDARD ${TORCHSHARP_CXX_STANDARD} CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS OFF)
# as upstream: bind the library's own symbols locally, sha1 build-id
target_link_options(LibTorchSharp PRIVATE "LINKER:-Bsymbolic" "LINKER:--build-id=sha1")
include("${TORCHSHARP_NATIVE_DIR}/TorchSharpKit.cmake")
CMEOF
  # optional extra source patches shipped with the kit (none are needed for 2.11 as far as known)
  for p in "${PATCHES[@]}"; do
    log "applying $(basename "$p")"
    if command -v patch >/dev/null; then
      patch -d "$SRC_ROOT" -p1 --forward --batch < "$p" || die "patch $(basename "$p") does not apply"
    elif command -v git >/dev/null; then
      git -C "$SRC_ROOT" apply -p1 --verbose "$p" || die "patch $(basename "$p") does not apply (git apply)"
    else
      die "neither 'patch' nor 'git' available to apply $(basename "$p")"
    fi
  done
  [[ ${#PATCHES[@]} -eq 0 ]] && log "no extra source patches in $KIT_DIR/patches (none needed for 2.10 -> 2.11 as far as known)"
  if [[ -d "$WORK_DIR/src.prev" ]]; then
    n_touched=0
    while IFS= read -r -d '' f; do
      rel="${f#"$WORK_DIR/src/"}"
      if ! cmp -s "$f" "$WORK_DIR/src.prev/$rel"; then touch "$f"; n_touched=$((n_touched + 1)); fi
    done < <(find "$WORK_DIR/src" -type f -print0)
    log "re-unpacked: $n_touched file(s) differ from the previous run and will be rebuilt"
    rm -rf "$WORK_DIR/src.prev"
  fi
  echo "$TAR_SUM $PATCH_SUM" > "$STAMP"
fi
[[ -f "$SRC_ROOT/SOURCE_COMMIT" ]] && sed 's/^/    /' "$SRC_ROOT/SOURCE_COMMIT" >&2

# ---------------------------------------------------------------------------------------------
step "[5/8] configure"
common_args=(-G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
  -DCMAKE_PREFIX_PATH="$TORCH_CMAKE_PREFIX"
  -DTORCHSHARP_CXX11_ABI="$TORCH_ABI" -DTORCHSHARP_CXX_STANDARD="$CXX_STD"
  -DTORCHSHARP_TORCH_DIR="$TORCH_DIR" -DTORCHSHARP_TORCH_LIB_DIR="$TORCH_LIB"
  -DTORCHSHARP_FORCE_LINK_CUDA="$FORCE_LINK_CUDA" -DTORCHSHARP_SKIP_INSTALL=ON
  -DCMAKE_C_COMPILER="$CC_BIN" -DCMAKE_CXX_COMPILER="$CXX_BIN")
if [[ -n "$NVCC_BIN" ]]; then
  common_args+=(-DCMAKE_CUDA_COMPILER="$NVCC_BIN" -DCUDAToolkit_ROOT="$CUDA_ROOT" -DCUDA_TOOLKIT_ROOT_DIR="$CUDA_ROOT")
fi
# shellcheck disable=SC2206
extra_args=(${CMAKE_EXTRA_ARGS:-})

configure() {  # $1 = mode, $2.. = extra -D args; sets BUILD_DIR
  local mode="$1"; shift
  BUILD_DIR="$WORK_DIR/build-$mode"
  local srcdir
  case "$mode" in
    upstream) srcdir="$NATIVE"; set -- "$@" -DLIBTORCH_PATH="$TORCH_CMAKE_PREFIX/Torch" ;;
    minimal)  srcdir="$WORK_DIR/src/minimal"; set -- -DTORCHSHARP_EXCLUDE= "$@" -DTORCHSHARP_NATIVE_DIR="$NATIVE" -DTORCHSHARP_DIRECT=OFF ;;
    direct)   srcdir="$WORK_DIR/src/minimal"; set -- -DTORCHSHARP_EXCLUDE= "$@" -DTORCHSHARP_NATIVE_DIR="$NATIVE" -DTORCHSHARP_DIRECT=ON \
                -DTORCHSHARP_EXTRA_DEFS="$TORCH_IFACE_DEFS" ;;
  esac
  log "configure ($mode): cmake -S $srcdir -B $BUILD_DIR ..."
  local t0=$SECONDS
  if cmake -S "$srcdir" -B "$BUILD_DIR" "${common_args[@]}" "$@" "${extra_args[@]}" \
       > "$WORK_DIR/logs/configure-$mode.log" 2>&1; then
    grep -E 'TorchSharpKit|DIRECT mode|Found Torch|LibTorchSharp:|CUDA detected|PARTIAL' "$WORK_DIR/logs/configure-$mode.log" | sed 's/^/    /' >&2 || true
    log "configure ($mode) OK in $((SECONDS - t0)) s  (log: $WORK_DIR/logs/configure-$mode.log)"
    return 0
  fi
  warn "configure ($mode) FAILED after $((SECONDS - t0)) s; last lines of $WORK_DIR/logs/configure-$mode.log:"
  tail -n 40 "$WORK_DIR/logs/configure-$mode.log" | sed 's/^/    | /' >&2
  return 1
}

# compile definitions that torch's exported CMake targets carry (used only in 'direct' mode,
# where find_package(Torch) is not called)
TORCH_IFACE_DEFS="$("$PYTHON" - "$TORCH_CMAKE_PREFIX" <<'PYEOF' || true
import os, re, sys
p = os.path.join(sys.argv[1], "Caffe2", "Caffe2Targets.cmake")
defs = []
if os.path.exists(p):
    s = open(p).read()
    for m in re.finditer(r"set_target_properties\((\w+) PROPERTIES(.*?)\n\)", s, re.S):
        if m.group(1) not in ("c10", "c10_cuda", "torch_cpu", "torch_cuda", "torch", "torch_library"):
            continue
        for d in re.finditer(r'INTERFACE_COMPILE_DEFINITIONS "([^"]*)"', m.group(2)):
            for x in d.group(1).split(";"):
                if x and "$<" not in x and x not in defs:
                    defs.append(x)
print(";".join(defs))
PYEOF
)"
log "interface compile definitions of torch's targets (for direct mode): ${TORCH_IFACE_DEFS:-none}"

USED_MODE=""
if [[ "$MODE" == auto ]]; then
  for m in upstream minimal direct; do
    if configure "$m"; then USED_MODE="$m"; break; fi
    warn "falling back from '$m'"
  done
  [[ -n "$USED_MODE" ]] || die "configure failed in all modes (upstream, minimal, direct); see $WORK_DIR/logs/"
else
  configure "$MODE" || die "configure failed (MODE=$MODE); see $WORK_DIR/logs/configure-$MODE.log"
  USED_MODE="$MODE"
fi
log "build mode: $USED_MODE"
if [[ -f "$BUILD_DIR/compile_commands.json" ]]; then
  "$PYTHON" - "$BUILD_DIR/compile_commands.json" <<'PYEOF' >&2 || true
import json, sys, re
cmds = json.load(open(sys.argv[1]))
c = next((x for x in cmds if x["file"].endswith("THSTensor.cpp")), cmds[0])
cmd = c.get("command", " ".join(c.get("arguments", [])))
flags = [f for f in cmd.split() if re.match(r"-(std=|D_GLIBCXX|O\d|Werror|fvisibility|fPIC|DNDEBUG)", f)]
print("    compile flags (THSTensor.cpp):", " ".join(flags))
if "-Werror" in flags: print("    WARNING: -Werror still present")
PYEOF
fi

# ---------------------------------------------------------------------------------------------
step "[6/8] build (ninja -j$JOBS, keep going past errors to report them all)"
run_build() {  # $1 = log file
  local t0=$SECONDS
  set +e
  cmake --build "$BUILD_DIR" -j "$JOBS" -- -k 0 2>&1 | tee "$1" | grep --line-buffered -E '^\[[0-9]+/[0-9]+\]|^FAILED:' >&2
  local rc=${PIPESTATUS[0]}
  set -e
  log "build finished rc=$rc in $((SECONDS - t0)) s (full log: $1)"
  return "$rc"
}
BUILD_LOG="$WORK_DIR/logs/build-$USED_MODE.log"
PARTIAL_EXCLUDED=""
if ! run_build "$BUILD_LOG"; then
  FAILED_SRCS=$(grep -E '^FAILED: ' "$BUILD_LOG" | grep -oE '[A-Za-z0-9_]+\.(cpp|c)\.o' | sed -E 's/\.o$//' | sort -u | tr '\n' ' ' || true)
  LINK_FAILED=$(grep -E '^FAILED: ' "$BUILD_LOG" | grep -E 'libLibTorchSharp\.so' || true)
  printf '\n' >&2
  warn "BUILD FAILED. Failing sources: ${FAILED_SRCS:-none (link step?)}"
  warn "first errors of each failing file (full log: $BUILD_LOG):"
  awk '/^FAILED: /{n=split($0,a,"/"); cur=a[n]; sub(/\.o[ ]*$/,"",cur); k=0; next}
       cur!="" && /error:|undefined reference/ && k<4 {print "    | [" cur "] " $0; k++}' "$BUILD_LOG" | cut -c1-400 >&2 || true
  if [[ -n "$LINK_FAILED" && -z "$FAILED_SRCS" ]]; then
    tail -n 40 "$BUILD_LOG" | sed 's/^/    | /' >&2
    die "link step failed (see $BUILD_LOG)"
  fi
  if [[ "$ALLOW_PARTIAL" != 1 ]]; then
    die "compilation failed in: $FAILED_SRCS
    Full log: $BUILD_LOG
    Options: fix the sources (add a patch under $KIT_DIR/patches/, then rerun: finished objects are reused),
             or rerun with ALLOW_PARTIAL=1 to build without those files (their entry points will be missing)."
  fi
  if [[ "$PARTIAL_OK_FILES" != all ]]; then
    for f in $FAILED_SRCS; do
      [[ " $PARTIAL_OK_FILES " == *" $f "* ]] || die "ALLOW_PARTIAL=1 but $f failed, and it is not an optional file (PARTIAL_OK_FILES=\"$PARTIAL_OK_FILES\").
    A library without it would be useless for normal tensor/CUDA work: patch the source instead (see NOTES.md, watch list)."
    done
  fi
  PARTIAL_EXCLUDED="$FAILED_SRCS"
  warn "ALLOW_PARTIAL=1: rebuilding WITHOUT: $PARTIAL_EXCLUDED"
  excl=$(echo "$PARTIAL_EXCLUDED" | xargs | tr ' ' ';')
  if [[ "$USED_MODE" == upstream ]]; then
    if configure minimal "-DTORCHSHARP_EXCLUDE=$excl"; then USED_MODE=minimal
    else configure direct "-DTORCHSHARP_EXCLUDE=$excl" || die "reconfigure for partial build failed"; USED_MODE=direct; fi
  else
    configure "$USED_MODE" "-DTORCHSHARP_EXCLUDE=$excl" || die "reconfigure for partial build failed"
  fi
  BUILD_LOG="$WORK_DIR/logs/build-$USED_MODE-partial.log"
  run_build "$BUILD_LOG" || die "partial build failed too; see $BUILD_LOG"
fi

# ---------------------------------------------------------------------------------------------
step "[7/8] verify + copy"
LIBFILE="$(find "$BUILD_DIR" -name 'libLibTorchSharp.so' -type f | head -1)"
[[ -n "$LIBFILE" ]] || die "build reported success but no libLibTorchSharp.so under $BUILD_DIR"
log "built: $LIBFILE ($(du -h "$LIBFILE" | cut -f1))"
NEEDED=$(readelf -d "$LIBFILE" | awk '/NEEDED/{gsub(/[][]/,"",$NF); print $NF}' | tr '\n' ' ')
RUNPATH=$(readelf -d "$LIBFILE" | awk '/RUNPATH|RPATH/{gsub(/[][]/,"",$NF); print $NF}')
SONAME=$(readelf -d "$LIBFILE" | awk '/SONAME/{gsub(/[][]/,"",$NF); print $NF}')
log "SONAME : $SONAME"
log "NEEDED : $NEEDED"
log "RUNPATH: $RUNPATH"
[[ "$NEEDED" == *libtorch_cpu.so* && "$NEEDED" == *libc10.so* ]] || die "libtorch_cpu.so/libc10.so missing from NEEDED -- wrong link"
if [[ "$FORCE_LINK_CUDA" == 1 && "$HAVE_TORCH_CUDA" == 1 && "$NEEDED" != *libtorch_cuda.so* ]]; then
  die "libtorch_cuda.so is not in NEEDED although FORCE_LINK_CUDA=1"
fi
if echo "$NEEDED" | grep -qE 'libcudart|libcuda\.so|libnvrtc'; then
  warn "the glue library links a CUDA runtime library directly ($NEEDED); it will be resolved like any other dep"
fi
# unresolved dependencies with an EMPTY LD_LIBRARY_PATH (what a bare `dotnet app.dll` sees)
NV_LIBS="$(ls -d "$PY_SITE"/nvidia/*/lib "$PY_SITE"/nvidia/*/*/lib 2>/dev/null | paste -sd: - || true)"
FULL_LDLP="$TORCH_LIB${NV_LIBS:+:$NV_LIBS}"
LDLP_NOTE=""
MISSING_DEPS=$(env -u LD_LIBRARY_PATH ldd "$LIBFILE" 2>&1 | grep -E 'not found' || true)
if [[ -n "$MISSING_DEPS" ]]; then
  printf '%s\n' "$MISSING_DEPS" | sed 's/^/    | /' >&2
  warn "with an empty LD_LIBRARY_PATH some dependencies do not resolve (above); trying LD_LIBRARY_PATH=torch/lib + nvidia/*/lib"
  MISSING_DEPS2=$(LD_LIBRARY_PATH="$FULL_LDLP" ldd "$LIBFILE" 2>&1 | grep -E 'not found' || true)
  if [[ -n "$MISSING_DEPS2" ]]; then
    printf '%s\n' "$MISSING_DEPS2" | sed 's/^/    | /' >&2
    die "unresolved shared-library dependencies even with LD_LIBRARY_PATH=$FULL_LDLP"
  fi
  LDLP_NOTE="REQUIRED_LD_LIBRARY_PATH=$FULL_LDLP"
  warn "all dependencies resolve ONLY WITH LD_LIBRARY_PATH=$FULL_LDLP (the app must be started with it)"
else
  log "ldd: all dependencies resolve without LD_LIBRARY_PATH"
fi
env -u LD_LIBRARY_PATH ldd "$LIBFILE" | grep -E 'libtorch|libc10|libcudart|libcudnn|libstdc' | sed 's/^/    /' >&2 || true
# exported entry points vs. the official 0.107.0 binary
EXP_FILE="$KIT_DIR/expected-exports.txt"
HAVE_EXPORTS="$WORK_DIR/logs/exports.txt"
nm -D --defined-only "$LIBFILE" | awk '$2=="T"{print $3}' | sort -u > "$HAVE_EXPORTS"
log "exported functions: $(wc -l < "$HAVE_EXPORTS")"
if [[ -f "$EXP_FILE" ]]; then
  MISSING_EXPORTS=$(grep -v '^#' "$EXP_FILE" | sort -u | comm -23 - "$HAVE_EXPORTS")
  N_MISSING=$(printf '%s' "$MISSING_EXPORTS" | grep -c . || true)
  if [[ "$N_MISSING" -gt 0 ]]; then
    printf '%s\n' "$MISSING_EXPORTS" | head -n 40 | sed 's/^/    missing: /' >&2
    if [[ "$ALLOW_PARTIAL" == 1 ]]; then
      warn "$N_MISSING entry points of the official 0.107.0 library are MISSING (partial build)"
    else
      die "$N_MISSING entry points of the official 0.107.0 library are missing"
    fi
  else
    log "all $(grep -vc '^#' "$EXP_FILE") entry points of the official 0.107.0 libLibTorchSharp.so are exported"
  fi
fi
grep -qx 'THSTorchCuda_is_available' "$HAVE_EXPORTS" || die "THSTorchCuda_is_available not exported"
GLIBCXX_MAX=$(objdump -T "$LIBFILE" | grep -oE 'GLIBCXX_[0-9.]+' | sort -uV | tail -1 || true)
log "highest libstdc++ symbol version required: ${GLIBCXX_MAX:-none}"

install -m 0755 "$LIBFILE" "$OUT_DIR/libLibTorchSharp.so"
{
  echo "libLibTorchSharp.so built by build-libtorchsharp.sh on $(hostname) at $(date -u +%FT%TZ)"
  [[ -f "$SRC_ROOT/SOURCE_COMMIT" ]] && cat "$SRC_ROOT/SOURCE_COMMIT"
  echo "torch=$TORCH_VERSION cuda=$TORCH_CUDA dir=$TORCH_DIR"
  echo "abi=_GLIBCXX_USE_CXX11_ABI=$TORCH_ABI cxx_std=c++$CXX_STD mode=$USED_MODE build_type=$BUILD_TYPE"
  echo "cxx=$("$CXX_BIN" --version | head -1)"
  echo "needed=$NEEDED"
  echo "runpath=$RUNPATH"
  echo "glibcxx_max=$GLIBCXX_MAX"
  echo "partial_excluded=${PARTIAL_EXCLUDED:-none}"
  [[ -n "$LDLP_NOTE" ]] && echo "$LDLP_NOTE"
  echo "sha256=$(sha256sum "$OUT_DIR/libLibTorchSharp.so" | awk '{print $1}')"
} > "$OUT_DIR/libLibTorchSharp.build-info.txt"
log "copied to $OUT_DIR/libLibTorchSharp.so (+ libLibTorchSharp.build-info.txt)"

# ---------------------------------------------------------------------------------------------
step "[8/8] native smoke test (ctypes, no 'import torch')"
SMOKE_RC=0
if [[ "$SMOKE_TEST" == 1 ]]; then
  if [[ -f "$KIT_DIR/smoke-test-libtorchsharp.py" ]]; then
    sargs=("$OUT_DIR/libLibTorchSharp.so" --torch-lib "$TORCH_LIB")
    [[ "$NEEDED" == *libtorch_cuda.so* ]] || sargs+=(--preload-cuda)
    [[ "$HAVE_TORCH_CUDA" == 1 ]] || sargs+=(--cpu-only)
    set +e
    env -u LD_LIBRARY_PATH timeout 300 "$PYTHON" "$KIT_DIR/smoke-test-libtorchsharp.py" "${sargs[@]}"
    SMOKE_RC=$?
    set -e
    if [[ $SMOKE_RC -ne 0 ]]; then
      warn "smoke test failed with an EMPTY LD_LIBRARY_PATH (rc=$SMOKE_RC); retrying with torch/lib + nvidia/*/lib on LD_LIBRARY_PATH"
      RETRY_LDLP="$FULL_LDLP"
      set +e
      LD_LIBRARY_PATH="$RETRY_LDLP" timeout 300 "$PYTHON" "$KIT_DIR/smoke-test-libtorchsharp.py" "${sargs[@]}"
      SMOKE_RC=$?
      set -e
      if [[ $SMOKE_RC -eq 0 ]]; then
        warn "smoke test passes ONLY WITH LD_LIBRARY_PATH=$RETRY_LDLP -- export exactly that before starting the .NET app"
        echo "REQUIRED_LD_LIBRARY_PATH=$RETRY_LDLP" >> "$OUT_DIR/libLibTorchSharp.build-info.txt"
      else
        warn "SMOKE TEST FAILED (rc=$SMOKE_RC) also with LD_LIBRARY_PATH (see the [smoke] lines above)."
      fi
    else
      log "smoke test passed with an empty LD_LIBRARY_PATH"
    fi
  else
    warn "smoke-test-libtorchsharp.py not next to the script; skipped"
  fi
else
  log "SMOKE_TEST=0: skipped"
fi

printf '\n' >&2
log "DONE in $(( $(date +%s) - SCRIPT_START )) s: $OUT_DIR/libLibTorchSharp.so (mode=$USED_MODE, torch $TORCH_VERSION, c++$CXX_STD, ABI=$TORCH_ABI)"
[[ -n "$PARTIAL_EXCLUDED" ]] && warn "PARTIAL BUILD: left out $PARTIAL_EXCLUDED"
cat >&2 <<EOF

Next: dotnet build -p:BbnTorchBackend=local -p:BbnLibTorchDir=$TORCH_LIB -p:BbnLibTorchSharp=$OUT_DIR/libLibTorchSharp.so
(scripts/build-native.sh does it; the host starts itself with the library path it needs, docs/gpu.md).
EOF
if [[ $SMOKE_RC -ne 0 ]]; then
  printf '\n[%s %s] ************************************************************\n' "$PROG" "$(ts)" >&2
  printf '[%s %s] FAILED (exit 2): %s was built and copied, but the native smoke test failed.\n' "$PROG" "$(ts)" "$OUT_DIR/libLibTorchSharp.so" >&2
  printf '[%s %s] ************************************************************\n' "$PROG" "$(ts)" >&2
  exit 2
fi
exit 0
