# Installed into <venv>/etc/ipython by requirements.txt (this folder is a data-only project), where
# IPython kernels started from this environment read it.
#
# ipykernel 7 warns at every kernel start that it talks over TCP without encryption. The book's kernels
# are started on this machine by nbval, jupyter-book and `jupyter execute`, which listen on localhost
# only, so the warning is noise in every test and build log. Drop that one record; every other kernel
# message stays.
import logging


class _NoTcpEncryptionWarning(logging.Filter):
    def filter(self, record):
        return not str(record.msg).startswith("Kernel is running over TCP without encryption")


logging.getLogger("IPKernelApp").addFilter(_NoTcpEncryptionWarning())
