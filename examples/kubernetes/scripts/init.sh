#!/bin/sh
# Installs the cluster's binaries on a node (placeholder).
set -e
cp bin/* /usr/bin/
