"""The reference platform's node (examples/progres/docker-compose.yml): one cluster of
load balancers, application servers, databases and storage.

Every node writes every tier's files, so that a probe of any resource on any node finds
it stopped rather than misconfigured; location rules keep each resource on its tier. A
node's tier is its name without the trailing number (``lb1`` -> ``lb``): ``lb``, ``app``,
``db``, ``storage``.

- ``lb``: the VIP ``CLUSTER_VIP`` with haproxy on its port 80, in front of varnish (a
  clone on both load balancers, started before haproxy), which balances over tomcat;
- ``app``: tomcat (a clone) with the webapp ``/records``, which stores records in the
  database through the write VIP;
- ``db``: MariaDB as a promotable clone; replicas replicate from the write VIP
  ``DB_VIP``, which follows the promoted copy, so a new primary is found without
  notifications;
- ``storage``: glusterd (a clone) serving the replicated volume ``gv0``. The volume is
  created once, before the cluster takes glusterd over: see ``bootstrap_volume``.

Environment, beyond node.py's: ``DB_VIP``; ``DB_PASSWORD`` (replication and the
application's account, default ``progres``).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

from node import CONFIG, cluster_head, install_keys, parse_nodes, web_group

HAPROXY_CFG = Path("/etc/haproxy/progres.cfg")
VARNISH_VCL = Path("/etc/varnish/progres.vcl")
CATALINA_BASE = Path("/srv/tomcat")
CATALINA_HOME = Path("/usr/share/tomcat10")
DEBIAN_TOMCAT_CONF = Path("/etc/tomcat10")
JDBC_DRIVER = Path("/usr/share/java/mariadb-java-client.jar")
WEBAPP_SOURCE = Path(__file__).resolve().parent / "progres-webapp"
DB_INIT = Path("/etc/mysql/progres-init.sql")
BRICKS = Path("/bricks")
VOLUME = "gv0"
TIERS = ("lb", "app", "db", "storage")
# A commit is acknowledged once the replica has it (or after 5 s without a replica), so a
# promoted replica has every acknowledged write; after a crash, a server starting as a
# replica drops what it committed but never had acknowledged (MariaDB >= 10.6).
SEMI_SYNC = ("--rpl-semi-sync-master-enabled=ON --rpl-semi-sync-slave-enabled=ON "
             "--rpl-semi-sync-master-wait-point=AFTER_SYNC "
             "--rpl-semi-sync-master-timeout=5000")
APP_PORT = 8080
VARNISH_PORT = 6081


def tier_of(node: str) -> str:
    tier = re.sub(r"\d+$", "", node)
    if tier not in TIERS:
        raise ValueError(f"node {node!r}: its name must be a tier ({', '.join(TIERS)}) "
                         "followed by a number")
    return tier


def on_tier(nodes: list[tuple[str, str]], tier: str) -> list[tuple[str, str]]:
    return [(n, a) for n, a in nodes if tier_of(n) == tier]


def only_on(resource: str, tier: str) -> str:
    return f"""\
    - resource: {resource}
      rules:
        - score: -INFINITY
          expressions: [{{attribute: tier, op: ne, value: {tier}}}]
"""


def cluster_yaml(name: str, nodes: list[tuple[str, str]], vip: str, db_vip: str,
                 fence_container: str, password: str) -> str:
    node_lines = "\n".join(
        f"  - {{name: {n}, addresses: {{ring0: {a}}}, attributes: {{tier: {tier_of(n)}}}}}"
        for n, a in nodes)
    db_nodes = " ".join(f"{n}={a}" for n, a in on_tier(nodes, "db"))
    # catalina.sh evaluates JAVA_OPTS: the URL's & and ? are quoted
    java_opts = (f"-Djava.awt.headless=true -Xmx128m -XX:+UseSerialGC "
                 f"-XX:TieredStopAtLevel=1 -Dprogres.db.url='jdbc:mariadb://{db_vip}:3306/"
                 f"progres?connectTimeout=2000&socketTimeout=5000' "
                 f"-Dprogres.db.password={password}")
    locations = "".join(only_on(resource, tier) for resource, tier in (
        ("web", "lb"), ("varnish-clone", "lb"), ("tomcat-clone", "app"),
        ("db-clone", "db"), ("db-vip", "db"), ("gluster-clone", "storage")))
    return (cluster_head(name, node_lines, fence_container)
            + "  # the load balancers: the VIP with haproxy on it, varnish under both\n"
            + web_group(vip, HAPROXY_CFG) + f"""\
  - clone: varnish-clone
    clone-max: 2
    resource:
      primitive: varnish
      agent: ocf:hafailover:varnish
      params: {{vcl: {VARNISH_VCL}, listen_address: "0.0.0.0:{VARNISH_PORT}",
               storage: "malloc,64M"}}
      operations:
        - {{name: monitor, interval: 5s, timeout: 20s}}
  # the application servers
  - clone: tomcat-clone
    clone-max: 2
    resource:
      primitive: tomcat
      agent: ocf:hafailover:tomcat
      params:
        catalina_base: {CATALINA_BASE}
        status_url: "http://127.0.0.1:{APP_PORT}/health.html"
        java_opts: "{java_opts}"
      operations:
        - {{name: start, timeout: 120s}}
        - {{name: monitor, interval: 5s, timeout: 30s}}
  # the database: MariaDB primary and replica, the write VIP on the primary
  - clone: db-clone
    promotable: true
    clone-max: 2
    promoted-max: 1
    resource:
      primitive: db
      agent: ocf:hafailover:mysql
      params:
        bind_address: 0.0.0.0
        replication_user: repl
        replication_password: {password}
        primary_host: {db_vip}
        node_addresses: "{db_nodes}"
        additional_parameters: "--init-file={DB_INIT} --innodb-buffer-pool-size=32M
          {SEMI_SYNC}"
      operations:
        - {{name: start, timeout: 120s}}
        - {{name: monitor, interval: 3s, timeout: 30s, role: Promoted}}
        - {{name: monitor, interval: 5s, timeout: 30s, role: Unpromoted}}
        - {{name: promote, timeout: 120s}}
  - primitive: db-vip
    agent: builtin:vip
    params: {{ip: {db_vip}}}
    operations:
      - {{name: monitor, interval: 2s, timeout: 10s}}
  # the storage: glusterd serving the replicated volume
  - clone: gluster-clone
    clone-max: 2
    resource:
      primitive: glusterd
      agent: ocf:hafailover:glusterd
      params: {{volume: {VOLUME}}}
      operations:
        - {{name: start, timeout: 90s}}
        - {{name: monitor, interval: 5s, timeout: 30s}}
constraints:
  location:
{locations.rstrip()}
  colocation:
    # haproxy balances over varnish: only where varnish runs
    - {{resource: web, with: varnish-clone}}
    # writes go to the primary
    - {{resource: db-vip, with: db-clone, with-role: Promoted}}
  order:
    - {{first: varnish-clone, then: web}}
    - {{first: db-clone, first-action: promote, then: db-vip, then-action: start}}
    # Optional: the application reconnects by itself when the primary moves, so a
    # database failover does not restart tomcat; on a cold start tomcat waits for it
    - {{first: db-vip, then: tomcat-clone, kind: Optional}}
""")


def haproxy_cfg(vip: str, node: str, nodes: list[tuple[str, str]]) -> str:
    """haproxy on the VIP in front of this node's varnish, the other's as a backup."""
    peers = "\n".join(
        f"    server {n} {a}:{VARNISH_PORT} check inter 500ms fall 2 rise 2 backup"
        for n, a in on_tier(nodes, "lb") if n != node)
    return f"""\
global
    maxconn 512

defaults
    mode http
    timeout connect 500ms
    timeout client 10s
    timeout server 10s
    retries 3
    option redispatch

frontend web
    bind {vip}:80
    default_backend varnish

backend varnish
    option httpchk GET /health.html
    server local 127.0.0.1:{VARNISH_PORT} check inter 500ms fall 2 rise 2
{peers}
"""


def varnish_vcl(nodes: list[tuple[str, str]]) -> str:
    """varnish over every tomcat; /records is never cached."""
    apps = on_tier(nodes, "app")
    backends = "\n".join(f"""\
backend {n} {{
    .host = "{a}";
    .port = "{APP_PORT}";
    .connect_timeout = 1s;
    .probe = {{ .url = "/health.html"; .interval = 1s; .timeout = 1s;
               .window = 3; .threshold = 2; }}
}}""" for n, a in apps)
    adds = "\n".join(f"    apps.add_backend({n});" for n, _ in apps)
    return f"""\
vcl 4.1;
import directors;

{backends}

sub vcl_init {{
    new apps = directors.round_robin();
{adds}
}}

sub vcl_recv {{
    set req.backend_hint = apps.backend();
    if (req.url ~ "^/records") {{
        return (pass);
    }}
}}

sub vcl_backend_response {{
    set beresp.ttl = 1s;
}}

sub vcl_deliver {{
    set resp.http.X-Varnish-Node = server.hostname;
}}
"""


def db_init_sql(password: str) -> str:
    """Run by every server at start, outside the binary log (each server makes its own):
    the application's database, table and account."""
    return f"""\
SET SESSION sql_log_bin=0;
CREATE DATABASE IF NOT EXISTS progres;
CREATE TABLE IF NOT EXISTS progres.records (
  id VARCHAR(64) PRIMARY KEY, value VARCHAR(255) NOT NULL,
  stored TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3));
CREATE USER IF NOT EXISTS app@'%' IDENTIFIED BY '{password}';
GRANT SELECT, INSERT, UPDATE, DELETE ON progres.* TO app@'%';
"""


def make_catalina_base() -> None:
    """What tomcat's makebase.sh does, with Debian's configuration, plus the webapp."""
    for sub in ("bin", "conf", "lib", "logs", "temp", "work", "webapps"):
        (CATALINA_BASE / sub).mkdir(parents=True, exist_ok=True)
    for conf in DEBIAN_TOMCAT_CONF.iterdir():
        if conf.is_file():
            shutil.copy(conf, CATALINA_BASE / "conf" / conf.name)
    root = CATALINA_BASE / "webapps" / "ROOT"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(WEBAPP_SOURCE, root)
    (root / "WEB-INF" / "lib").mkdir(parents=True, exist_ok=True)
    shutil.copy(JDBC_DRIVER, root / "WEB-INF" / "lib" / JDBC_DRIVER.name)


def gluster(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["gluster", "--mode=script", *args], capture_output=True,
                          text=True, check=check, timeout=60)


def bootstrap_volume(node: str, nodes: list[tuple[str, str]], shared: Path,
                     timeout: float = 180.0) -> None:
    """Create the replicated volume once, before the cluster manages glusterd: what an
    administrator does at installation. Every storage node runs glusterd for the time
    it takes; the first peers with the others and creates and starts the volume; then
    glusterd stops and the cluster starts it as a resource. Nothing happens when this
    node already knows the volume (a restart)."""
    if (Path("/var/lib/glusterd/vols") / VOLUME).is_dir():
        return
    storage = on_tier(nodes, "storage")
    first = storage[0][0]
    done = shared / f"gluster-{VOLUME}-created"
    (BRICKS / VOLUME).mkdir(parents=True, exist_ok=True)
    subprocess.run(["glusterd", "-p", "/run/glusterd-bootstrap.pid"], check=True)
    deadline = time.monotonic() + timeout
    try:
        if node == first:
            for _peer, address in storage[1:]:
                while gluster("peer", "probe", address, check=False).returncode != 0:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"gluster peer probe {address}: no answer")
                    time.sleep(1)
            while gluster("pool", "list").stdout.count("Connected") < len(storage):
                if time.monotonic() > deadline:
                    raise RuntimeError("the storage peers did not connect")
                time.sleep(1)
            bricks = [f"{a}:{BRICKS / VOLUME}" for _n, a in storage]
            gluster("volume", "create", VOLUME, "replica", str(len(storage)), *bricks, "force")
            gluster("volume", "start", VOLUME)
            done.touch()
        else:
            while not done.exists() or not (Path("/var/lib/glusterd/vols") / VOLUME).is_dir():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{first} did not create the volume {VOLUME}")
                time.sleep(1)
    finally:
        stop_gluster()


GLUSTER_PROCESSES = ("glusterd", "glusterfsd", "glusterfs")


def stop_gluster(timeout: float = 30.0) -> None:
    """Stop glusterd, the bricks and the self-heal daemon; reap them (this process is
    PID 1, so they are its children once glusterd has daemonised)."""
    deadline = time.monotonic() + timeout
    signal_name = "-TERM"
    while True:
        for name in GLUSTER_PROCESSES:
            subprocess.run(["pkill", signal_name, "-x", name], check=False)
        time.sleep(0.2)
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        alive = subprocess.run(["pgrep", "-x", "|".join(GLUSTER_PROCESSES)],
                               capture_output=True, text=True, check=False).stdout.split()
        alive = [pid for pid in alive if Path(f"/proc/{pid}/stat").exists()
                 and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"]
        if not alive:
            return
        if time.monotonic() > deadline:
            signal_name = "-KILL"


def write_files(env: Mapping[str, str], node: str) -> None:
    nodes = parse_nodes(env.get("CLUSTER_NODES", ""))
    vip, db_vip = env["CLUSTER_VIP"], env["DB_VIP"]
    password = env.get("DB_PASSWORD", "progres")
    shared = Path(env.get("SHARED_DIR", "/srv/shared"))
    CONFIG.parent.mkdir(parents=True, exist_ok=True)
    CONFIG.write_text(cluster_yaml(env.get("CLUSTER_NAME", "progres"), nodes, vip, db_vip,
                                   env.get("FENCE_CONTAINER", "{plug}"), password))
    HAPROXY_CFG.parent.mkdir(parents=True, exist_ok=True)
    HAPROXY_CFG.write_text(haproxy_cfg(vip, node, nodes))
    VARNISH_VCL.parent.mkdir(parents=True, exist_ok=True)
    VARNISH_VCL.write_text(varnish_vcl(nodes))
    DB_INIT.parent.mkdir(parents=True, exist_ok=True)
    DB_INIT.write_text(db_init_sql(password))
    make_catalina_base()
    install_keys(shared, CONFIG, node)
    if tier_of(node) == "storage":
        bootstrap_volume(node, nodes, shared)
