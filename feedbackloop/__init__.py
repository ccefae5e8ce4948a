import os

# One BLAS thread per process, set before NumPy loads its BLAS: the vector searches
# (core.vectors) are a matrix-vector product each, which a second thread does not speed up, and
# on a busy machine threads that wait for each other make a search several times slower. Web
# and worker processes run side by side instead (the embedding model also runs on one thread).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from feedbackloop.celery import app as celery_app

__all__ = ("celery_app",)
