#!/usr/bin/python3
"""Prints where `make install PREFIX=...` puts the Python package: the
directory that prefix's Python searches. Debian's /usr/bin/python3 searches
/usr/lib/python3/dist-packages (PREFIX=/usr) and
/usr/local/lib/python3.X/dist-packages (PREFIX=/usr/local); a Python built
with another prefix searches PREFIX/lib/python3.X/site-packages (use
PYTHONPATH with Debian's)."""
import os
import sys
import sysconfig

prefix = os.path.normpath(sys.argv[1])
schemes = sysconfig.get_scheme_names()
if prefix == "/usr" and "deb_system" in schemes:
    scheme, base = "deb_system", prefix
elif prefix == "/usr/local" and "posix_local" in schemes:
    scheme, base = "posix_local", "/usr"  # Debian's scheme adds the "local"
else:
    scheme, base = "posix_prefix", prefix
print(sysconfig.get_path("purelib", scheme, vars={"base": base, "platbase": base}))
