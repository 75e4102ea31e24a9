# Cross-compiling the addon for linux-arm64 (glibc) on an x86-64 Debian/Ubuntu machine:
#   sudo apt-get install -y g++-aarch64-linux-gnu
# scripts/prebuild.js passes this file; CMAKE_SYSTEM_PROCESSOR selects the neon target in
# CMakeLists.txt. The addon links no library beyond libc/libstdc++ (OpenBLAS is loaded at run
# time), so no arm64 sysroot packages are needed.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
