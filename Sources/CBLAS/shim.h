// Debian's libopenblas-dev installs cblas.h in the multiarch include directory, which is on
// the default search path; it also declares openblas_set_num_threads.
#include <cblas.h>
