#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Debian chroots for the other stacks: the newer GNOME of Debian 13 "trixie"
# and sid, the oldest supported one of Debian 11 "bullseye" (GLib 2.66), and
# 32-bit Debian 13 ("trixie-i386", which runs natively on amd64). Built with
# debootstrap from the Debian archive the host's apt uses, cached under
# $ASYNC_RUNNER_CI_CACHE (default /var/cache/async-runner-ci), rebuilt when
# missing or older than a week; a changed package list only installs what
# is new. Sourced by test.sh, which is the way to use it:
#   build-aux/test.sh --stack trixie           # the whole suite in the chroot
#   build-aux/test.sh --stack sid --shell      # a shell in the chroot
# Needs root (debootstrap, mount, chroot).

stack_cache=${ASYNC_RUNNER_CI_CACHE:-/var/cache/async-runner-ci}
stack_max_age_days=7

# The Debian archive the host's apt fetches from: the first URI that serves
# Debian's main archive (not -security, not a third party), from deb822
# .sources files or one-line .list files.
stack_mirror () {
  local files=() f uri
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] && files+=("$f")
  done
  [ ${#files[@]} -gt 0 ] || return 1
  uri=$(awk '
    /^[[:space:]]*#/ { next }
    /^URIs:/ { for (i = 2; i <= NF; i++) print $i; next }
    /^deb[[:space:]]/ {
      for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { print $i; break }
    }' "${files[@]}" | grep -E '/debian/?$' | grep -v -- '-security' | head -n 1)
  [ -n "$uri" ] || return 1
  printf '%s\n' "${uri%/}"
}

# A stack is a Debian suite, optionally for another architecture: NAME is
# SUITE or SUITE-ARCH (trixie-i386).
stack_suite () { echo "${1%%-*}"; }
stack_arch () {
  case $1 in
    *-*) echo "${1#*-}" ;;
    *) dpkg --print-architecture ;;
  esac
}

# stack_build NAME: makes sure $stack_cache/NAME is a usable chroot of the
# stack NAME holding every package that deps.sh lists for its suite.
stack_build () {
  local name=$1 root=$stack_cache/$1 mirror stamp base want
  local suite arch
  suite=$(stack_suite "$name")
  arch=$(stack_arch "$name")
  want=$(async_runner_packages_for "$suite" | sort | tr '\n' ' ')
  stamp=$root/.async-runner-stack
  base=$root/.async-runner-base
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
     [ -z "$(find "$stamp" -mtime +$stack_max_age_days)" ]; then
    echo "stack $name: cached chroot $root"
    return 0
  fi
  if [ -f "$base" ] && [ "$(cat "$base")" = "$suite $arch" ] &&
     [ -z "$(find "$base" -mtime +$stack_max_age_days)" ]; then
    echo "stack $name: installing a changed package list into $root"
  else
    if ! mirror=$(stack_mirror); then
      echo "stack $name: no Debian archive found in the host's apt sources" >&2
      return 1
    fi
    command -v debootstrap >/dev/null || install_missing_packages debootstrap
    echo "stack $name: building $root ($suite, $arch) from $mirror"
    stack_umount "$name"
    rm -rf "$root"
    mkdir -p "$stack_cache"
    if ! debootstrap --variant=minbase --arch="$arch" "$suite" "$root" "$mirror" \
         > "$stack_cache/$name.log" 2>&1; then
      tail -n 30 "$stack_cache/$name.log" >&2
      echo "stack $name: debootstrap of $suite ($arch) from $mirror failed (log: $stack_cache/$name.log)" >&2
      return 1
    fi
    # The archive may be a dated snapshot whose Release files (sid's) have
    # expired: the host trusts it, and so does the chroot.
    echo 'Acquire::Check-Valid-Until "false";' > "$root/etc/apt/apt.conf.d/99async-runner"
    echo "$suite $arch" > "$base"
  fi
  # Then the packages, with apt's resolver; recommends stay out, as on the host.
  rm -f "$stamp"
  if ! stack_run "$name" "" sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends $want" >> "$stack_cache/$name.log" 2>&1; then
    tail -n 30 "$stack_cache/$name.log" >&2
    echo "stack $name: installing the packages failed (log: $stack_cache/$name.log)" >&2
    return 1
  fi
  echo "$want" > "$stamp"
}

stack_mount () {
  local root=$stack_cache/$1 src=$2 d
  for d in proc sys dev dev/pts; do
    mkdir -p "$root/$d"
    mountpoint -q "$root/$d" || mount --bind "/$d" "$root/$d"
  done
  if [ -n "$src" ]; then
    mkdir -p "$root/src"
    mountpoint -q "$root/src" || mount --bind "$src" "$root/src"
  fi
  cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
}

# Unmounts whatever stack_mount left, innermost first; never fails.
stack_umount () {
  local root=$stack_cache/$1 d
  for d in src dev/pts dev sys proc; do
    if mountpoint -q "$root/$d" 2>/dev/null; then
      umount "$root/$d" 2>/dev/null || umount -l "$root/$d" 2>/dev/null || true
    fi
  done
}

# stack_run NAME SRCDIR CMD...: runs CMD in the chroot, with SRCDIR (if not
# empty) at /src.
stack_run () {
  local name=$1 src=$2
  shift 2
  stack_mount "$name" "$src"
  local status=0 personality=()
  # A 32-bit stack says so to uname too (meson, Python's platform).
  [ "$(stack_arch "$name")" = i386 ] && personality=(setarch i686)
  "${personality[@]}" chroot "$stack_cache/$name" /usr/bin/env -i \
    HOME=/root PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin LANG=C.UTF-8 \
    TERM="${TERM:-dumb}" CI="${CI:-}" "$@" || status=$?
  stack_umount "$name"
  return $status
}
