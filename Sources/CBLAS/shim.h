// Debian's libopenblas-dev installs cblas.h in the multiarch include directory, which is on
// the default search path; it also declares openblas_set_num_threads.
#include <cblas.h>

// LAPACK, bundled in OpenBLAS (no lapacke.h in Debian's libopenblas-dev): symmetric
// eigendecomposition, used by ESE's PCA target (Sources/Embed/Training/Losses/PCACompress.swift).
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info);
