#!/bin/sh
# /usr/local/bin/tacit in the image: runs the tacit binary as the unprivileged user
# tacit (uid 10001), whoever starts it.
#
# Started as root (the container's start, `docker exec`, `fly ssh console -C`), it
# first hands to tacit whatever in /data is not tacit's: a fresh volume arrives owned by
# root (Fly.io volumes, a host directory), and a file that root created there would
# lock tacit out of its own database. Then it becomes tacit (setpriv, from util-linux,
# which every Debian image has) without keeping any capability, and runs the binary.
# Started as another user (`docker run --user`), it runs the binary as that user, who
# must then be able to write /data.
set -eu

bin=/usr/local/lib/tacit/tacit
if [ "$(id -u)" -ne 0 ]; then
  exec "$bin" "$@"
fi
if [ -d /data ]; then
  find /data -xdev \( ! -user 10001 -o ! -group 10001 \) -exec chown 10001:10001 {} + \
    || echo "tacit: could not hand /data to uid 10001; tacit may not be able to write there" >&2
fi
exec setpriv --reuid=10001 --regid=10001 --clear-groups --inh-caps=-all -- "$bin" "$@"
