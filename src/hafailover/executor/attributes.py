"""Promotion scores: what OCF agents of promotable clones set with ``crm_attribute -p``
or ``crm_master`` (through ``ocf_promotion_score`` of ocf-shellfuncs).

The executor gives every agent ``HA_SBIN_DIR`` pointing at a directory with stand-ins for
those two commands. They keep the score of the calling resource as a file
``master-<primitive>`` in ``HAFAILOVER_ATTRIBUTE_DIR`` (this node's, for this agent's
lifetime: Pacemaker's ``-l reboot``); the agent reads it after each action and reports it
with the resource's status, and the coordinator's scheduler sees it as the node attribute
``master-<primitive>`` that chooses which copy is promoted.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path

COMMANDS = ("crm_attribute", "crm_master")
_SCORE = re.compile(r"^[+-]?(\d{1,9}|INFINITY)$")

STAND_IN = r"""#!/bin/sh
# hafailover's stand-in for Pacemaker's crm_attribute and crm_master, for what OCF
# agents use them for: the promotion score of the calling resource (crm_attribute -p,
# or crm_master), kept as the file $HAFAILOVER_ATTRIBUTE_DIR/master-<resource>.
dir=${HAFAILOVER_ATTRIBUTE_DIR:?HAFAILOVER_ATTRIBUTE_DIR is not set}
resource=${OCF_RESOURCE_INSTANCE%%:*}
name="" action=query value="" quiet=0
[ "$(basename "$0")" = crm_master ] && name="master-$resource"
while [ $# -gt 0 ]; do
    case $1 in
        -p|--promotion) name="master-$resource" ;;
        --promotion=*) name="master-${1#*=}" ;;
        -n|--name) name=$2; shift ;;
        --name=*) name=${1#*=} ;;
        -v|--update|--attr-value) action=set; value=$2; shift ;;
        --update=*|--attr-value=*) action=set; value=${1#*=} ;;
        -D|--delete|--delete-attr) action=delete ;;
        -G|--query|--get-value) action=query ;;
        -q|--quiet) quiet=1 ;;
        -l|--lifetime|-t|--type|-N|--node|-r|--resource|-i|--id|-d|--default) shift ;;
        *) ;;
    esac
    shift
done
case $name in
    master-?*) ;;
    *) echo "$(basename "$0"): hafailover keeps only promotion scores (-p, or crm_master)" >&2
       exit 1 ;;
esac
case $name in */*) echo "$(basename "$0"): bad name $name" >&2; exit 1 ;; esac
file=$dir/$name
case $action in
    set)
        digits=${value#[+-]}
        case $digits in
            INFINITY) ;;
            ''|*[!0-9]*|??????????*)
                echo "$(basename "$0"): $value is not a score" >&2; exit 1 ;;
        esac
        mkdir -p "$dir" && printf '%s\n' "$value" > "$file.$$" && mv -f "$file.$$" "$file" ;;
    delete) rm -f "$file" ;;
    query)
        if [ ! -f "$file" ]; then
            echo "Error performing operation: No such device or address" >&2
            exit 105
        fi
        if [ "$quiet" = 1 ]; then cat "$file"
        else printf 'scope=nodes  name=%s value=%s\n' "$name" "$(cat "$file")"; fi ;;
esac
"""


def install(sbin_dir: Path, attribute_dir: Path) -> None:
    """Write the stand-ins into ``sbin_dir`` and start with no scores: a score is only
    true while the agent that set it runs."""
    sbin_dir.mkdir(parents=True, exist_ok=True)
    for command in COMMANDS:
        target = sbin_dir / command
        temporary = target.with_suffix(".tmp")
        temporary.write_text(STAND_IN)
        temporary.chmod(0o755)
        os.replace(temporary, target)
    shutil.rmtree(attribute_dir, ignore_errors=True)
    attribute_dir.mkdir(parents=True, exist_ok=True)


def promotion_score(attribute_dir: Path, primitive: str) -> str:
    """The score the agent of ``primitive`` set here, or "" when none (or not a score)."""
    with contextlib.suppress(OSError, UnicodeDecodeError):
        value = (attribute_dir / f"master-{primitive}").read_text().strip()
        if _SCORE.match(value):
            return value
    return ""
