#include "trace/trace-hw_ivshmem2.h"
