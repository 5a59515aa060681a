# Sourced by deploy/base-image.sh and deploy/rehearse.py's shell steps: podman/buildah set up as
# this machine needs them (runc: crun fails on setrlimit here; cgroupfs: no systemd; overlay
# storage: vfs copies the whole tree per layer; ulimits no higher than this sandbox grants: runc's
# setrlimit of podman's defaults, nofile 1048576 and nproc at the host's value, is refused).
# Only this rehearsal's processes read these files.
conf_dir="${DEPLOY_CHECK_DIR:?}/containers"
mkdir -p "$conf_dir"
cat > "$conf_dir/containers.conf" <<CONF
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[containers]
netns = "host"
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=8192:8192"]
CONF
cat > "$conf_dir/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "/var/lib/containers/storage"
runroot = "/run/containers/storage"
CONF
export CONTAINERS_CONF="$conf_dir/containers.conf" CONTAINERS_STORAGE_CONF="$conf_dir/storage.conf"
export BUILDAH_ISOLATION=chroot
