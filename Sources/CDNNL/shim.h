// Debian's libdnnl-dev (oneDNN 2.x, OpenMP runtime) installs its C API under oneapi/dnnl/.
// CKernels' bf16_linear.c is the only user; linking libgomp lets it set the calling thread's
// OpenMP team size (omp_set_num_threads) to match the BLAS thread policy.
#include <oneapi/dnnl/dnnl.h>
