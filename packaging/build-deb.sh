#!/usr/bin/env bash
# Builds the Debian package packaging/out/quota-proxy_<version>_<arch>.deb:
#   release build (static Swift runtime, BIND_NOW, stripped) of the four executables,
#   units in /lib/systemd/system, /etc/quota-proxy/config.json as a conffile (the generated
#   client key goes to /etc/quota-proxy/client-keys, made by the postinst: not a conffile),
#   a sysusers.d entry for the system user, the dashboard's page in
#   /usr/share/quota-proxy/dashboard, man pages made from --help, bash, zsh and fish
#   completion for quota-proxyctl, docs, maintainer scripts shaped like debhelper's,
#   Depends: from dpkg-shlibdeps; then lintian (errors or warnings fail the build).
#
# Usage: packaging/build-deb.sh [--skip-build] [--no-lintian]
#   --skip-build   package the binaries already in the release build folder
#   --no-lintian   do not run lintian
# Environment: DEB_REVISION (default 2), SWIFT_BUILD_FLAGS (extra flags for swift build),
#   DEB_COMPRESS (dpkg-deb -Z: xz (default), zstd, gzip, none), DEB_MAINTAINER (the Maintainer
#   field and changelog signature; default "quota-proxy maintainers <maintainers@quota-proxy.invalid>").
# Run from anywhere; as root it installs missing build tools with apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

skip_build=0
run_lintian=1
for arg in "$@"; do
    case "$arg" in
        --skip-build) skip_build=1 ;;
        --no-lintian) run_lintian=0 ;;
        -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build-deb.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

log() { printf '=== build-deb: %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }
die() { printf 'build-deb: ERROR: %s\n' "$1" >&2; exit 1; }

products=(quota-proxy quota-scheduler quota-refresher quota-proxyctl)
units=(quota-proxy.service quota-scheduler.service quota-refresher.service)
out=packaging/out
root=$out/root

# --- tools ---------------------------------------------------------------------------------
need=()
command -v dpkg-deb >/dev/null || need+=(dpkg)
command -v dpkg-shlibdeps >/dev/null || need+=(dpkg-dev)
command -v strip >/dev/null || need+=(binutils)
command -v help2man >/dev/null || need+=(help2man)
command -v pkg-config >/dev/null || need+=(pkg-config)
pkg-config --exists libsystemd 2>/dev/null || need+=(libsystemd-dev)
((run_lintian)) && ! command -v lintian >/dev/null && need+=(lintian)
if ((${#need[@]})); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        log "installing ${need[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    else
        die "missing tools; install: ${need[*]}"
    fi
fi

version=$(sed -n 's/.*static let current = "\([^"]*\)".*/\1/p' Sources/QuotaRuntime/QuotaProxyVersion.swift)
[ -n "$version" ] || die "cannot read the version from Sources/QuotaRuntime/QuotaProxyVersion.swift"
# Revision 2: the client key moved out of the conffile; Apache-2.0; shell completion.
deb_version="$version-${DEB_REVISION:-2}"
maintainer=${DEB_MAINTAINER:-quota-proxy maintainers <maintainers@quota-proxy.invalid>}
arch=$(dpkg --print-architecture)
deb="$out/quota-proxy_${deb_version}_${arch}.deb"

# --- release build -------------------------------------------------------------------------
# The same flags for every product, so the second and later builds reuse the first's objects.
build_flags=(-c release --static-swift-stdlib -Xlinker -z -Xlinker now)
# shellcheck disable=SC2206
[ -n "${SWIFT_BUILD_FLAGS:-}" ] && build_flags+=(${SWIFT_BUILD_FLAGS})
if ((!skip_build)); then
    for product in "${products[@]}"; do
        log "swift build ${build_flags[*]} --product $product"
        swift build "${build_flags[@]}" --product "$product"
    done
fi
bin=$(swift build "${build_flags[@]}" --show-bin-path)
for product in "${products[@]}"; do
    [ -x "$bin/$product" ] || die "$bin/$product is missing (run without --skip-build)"
done

# --- the tree ------------------------------------------------------------------------------
log "staging $root"
rm -rf "$root"
install -d -m 0755 "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/quota-proxy" \
    "$root/usr/lib/sysusers.d" "$root/usr/share/doc/quota-proxy" "$root/usr/share/man/man8" \
    "$root/usr/share/lintian/overrides" "$root/usr/share/bash-completion/completions" \
    "$root/usr/share/zsh/vendor-completions" "$root/usr/share/fish/vendor_completions.d" \
    "$root/usr/share/quota-proxy/dashboard"

for product in "${products[@]}"; do
    install -m 0755 "$bin/$product" "$root/usr/bin/$product"
    # What dh_strip does for executables.
    strip --remove-section=.comment --remove-section=.note "$root/usr/bin/$product"
done
for unit in "${units[@]}"; do
    install -m 0644 "systemd/$unit" "$root/lib/systemd/system/$unit"
done
install -m 0644 packaging/debian/config.json "$root/etc/quota-proxy/config.json"
install -m 0644 packaging/debian/sysusers.conf "$root/usr/lib/sysusers.d/quota-proxy.conf"
# The dashboard's page (GET /dashboard/): read by the proxy at start from here.
for asset in index.html dashboard.css dashboard.js; do
    install -m 0644 "dashboard/$asset" "$root/usr/share/quota-proxy/dashboard/$asset"
done
install -m 0644 README.md "$root/usr/share/doc/quota-proxy/README.md"
install -m 0644 packaging/debian/copyright "$root/usr/share/doc/quota-proxy/copyright"
install -m 0644 packaging/debian/lintian-overrides "$root/usr/share/lintian/overrides/quota-proxy"

# changelog.Debian, dated by the last commit (reproducible).
if date_rfc=$(git log -1 --format=%cD 2>/dev/null) && [ -n "$date_rfc" ]; then :; else date_rfc=$(date -R); fi
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
{
    printf 'quota-proxy (%s) unstable; urgency=medium\n\n' "$deb_version"
    printf '  * Release build from commit %s.\n\n' "$commit"
    printf ' -- %s  %s\n' "$maintainer" "$date_rfc"
} | gzip -9n > "$root/usr/share/doc/quota-proxy/changelog.Debian.gz"
chmod 0644 "$root/usr/share/doc/quota-proxy/changelog.Debian.gz"

# Man pages from --help (COLUMNS wide enough that the help text keeps its own line breaks).
log "man pages"
declare -A man_names=(
    [quota-proxy]="pooled OpenAI/Anthropic-compatible LLM proxy (HTTP service)"
    [quota-scheduler]="quota-proxy Smart Warmup scheduler service"
    [quota-refresher]="quota-proxy quota and credential refresher service"
    [quota-proxyctl]="inspect and steer the quota-proxy services"
)
see_also=$(mktemp)
trap 'rm -f "$see_also"' EXIT
cat > "$see_also" <<'EOF'
[SEE ALSO]
.BR quota-proxy (8),
.BR quota-scheduler (8),
.BR quota-refresher (8),
.BR quota-proxyctl (8),
.BR systemctl (1),
.BR journalctl (1),
.BR systemd.service (5).
.PP
/usr/share/doc/quota-proxy/README.md
EOF
# A command-line tool's subcommands get their own --help in a COMMANDS section.
roff_lines() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; }
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
for product in "${products[@]}"; do
    include=$(mktemp)
    cat "$see_also" > "$include"
    subcommands=$(COLUMNS=100 "$root/usr/bin/$product" --help | sed -n '/^SUBCOMMANDS:/,/^$/p' \
        | sed -n 's/^  \([a-z][a-z0-9-]*\)\( .*\)\{0,1\}$/\1/p' | grep -v '^help$' || true)
    if [ -n "$subcommands" ]; then
        echo "[COMMANDS]" >> "$include"
        for sub in $subcommands; do
            printf '.SS "%s %s"\n.nf\n' "$product" "$sub" >> "$include"
            COLUMNS=100 "$root/usr/bin/$product" "$sub" --help | roff_lines >> "$include"
            printf '.fi\n' >> "$include"
        done
    fi
    COLUMNS=100 help2man --no-info --section=8 --version-string="$version" \
        --name="${man_names[$product]}" --include="$include" \
        --output="$root/usr/share/man/man8/$product.8" "$root/usr/bin/$product"
    rm -f "$include"
    gzip -9n "$root/usr/share/man/man8/$product.8"
    chmod 0644 "$root/usr/share/man/man8/$product.8.gz"
done

# Shell completion, from ArgumentParser's generator (the paths bash-completion, zsh and fish
# load completions from on demand).
log "shell completion"
ctl="$root/usr/bin/quota-proxyctl"
# bash-completion sources the script: no #! line (lintian: bash-completion-with-hashbang).
"$ctl" --generate-completion-script bash | sed '1{/^#!/d}' > "$root/usr/share/bash-completion/completions/quota-proxyctl"
"$ctl" --generate-completion-script zsh > "$root/usr/share/zsh/vendor-completions/_quota-proxyctl"
"$ctl" --generate-completion-script fish > "$root/usr/share/fish/vendor_completions.d/quota-proxyctl.fish"
for script in "$root/usr/share/bash-completion/completions/quota-proxyctl" \
    "$root/usr/share/zsh/vendor-completions/_quota-proxyctl" "$root/usr/share/fish/vendor_completions.d/quota-proxyctl.fish"; do
    [ -s "$script" ] || die "no completion script in $script"
    chmod 0644 "$script"
done

# Maintainer scripts and control files.
install -m 0755 packaging/debian/preinst packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$root/DEBIAN/"
install -m 0644 packaging/debian/conffiles "$root/DEBIAN/conffiles"

# Depends: from the ELF files (dpkg-shlibdeps wants a debian/control to exist).
log "dpkg-shlibdeps"
shlib_dir=$(mktemp -d)
trap 'rm -f "$see_also"; rm -rf "$shlib_dir"' EXIT
mkdir -p "$shlib_dir/debian"
printf 'Source: quota-proxy\n\nPackage: quota-proxy\nArchitecture: any\n' > "$shlib_dir/debian/control"
abs_bins=()
for product in "${products[@]}"; do abs_bins+=("$PWD/$root/usr/bin/$product"); done
shlibs=$(cd "$shlib_dir" && dpkg-shlibdeps -O "${abs_bins[@]}" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || die "dpkg-shlibdeps found no dependencies"
case "$shlibs" in *libsystemd0*) ;; *) die "Depends lacks libsystemd0: $shlibs" ;; esac

installed_size=$(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$deb_version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$installed_size/" \
    -e "s/@SHLIBS_DEPENDS@/$shlibs/" -e "s|@MAINTAINER@|$maintainer|" packaging/debian/control.in > "$root/DEBIAN/control"
(cd "$root" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\0' | sort -z \
    | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"

# --- the package ---------------------------------------------------------------------------
log "dpkg-deb"
rm -f "$out"/quota-proxy_*.deb
dpkg-deb --root-owner-group -Z"${DEB_COMPRESS:-xz}" --build "$root" "$deb" >/dev/null
echo "Depends: $(dpkg-deb -f "$deb" Depends)"
echo "built $deb ($(du -h "$deb" | cut -f1), installed $((installed_size / 1024)) MiB)"

if ((run_lintian)); then
    log "lintian"
    lintian_out=$(lintian --tag-display-limit 0 "$deb" 2>&1 | grep -v "running with root privileges") || true
    [ -n "$lintian_out" ] && printf '%s\n' "$lintian_out"
    errors=$(printf '%s\n' "$lintian_out" | grep -c '^E: ' || true)
    warnings=$(printf '%s\n' "$lintian_out" | grep -c '^W: ' || true)
    echo "lintian: $errors error(s), $warnings warning(s)"
    ((errors == 0 && warnings == 0)) || die "lintian reported errors or warnings"
fi
echo "$deb"
