"""`kubectl get`: server-side Tables for people, whole objects for ``-o name|json|yaml|jsonpath|custom-columns``.

Mirrors kubernetes v1.31 staging/src/k8s.io/kubectl/pkg/cmd/get/get.go: Complete (a
human-readable printer only for no ``-o`` or ``-o wide``; ``--show-labels`` only with them),
transformRequests (the Table Accept header; ``includeObject=Object`` to sort), Run (one
Table per resource type listed or object named; ``printWithKind`` when the infos hold more
than one kind; a new header, and a blank line before it, at each change of resource; "No
resources found in <ns> namespace." on stderr when nothing was printed) and printGeneric
(every item flattened into one v1 ``List`` unless a single item was implied, no "No
resources found"), with cli-runtime's resource builder (ResourceTypeOrNameArgs, ``-f``).

``--watch`` (get.go watch) prints the list, then one row per watch event, each event's
object a one-row Table from the server, laid out with remembered column widths.

Simplified: no ``--raw``, ``--chunk-size`` (each list is one request), ``--output-watch-events``
or Go templates; ``--watch`` only with the table output, and it ends when the server closes
the watch or after ``--request-timeout`` (as the real one, whose error is not reported); an
answer that is not a Table (an API the server cannot print) falls back to NAME and AGE as
kubectl's default handler prints them.
"""
from __future__ import annotations

from typing import Any

from ..api import errors
from ..api.errors import StatusError
from ..apiserver.request import resource_path
from ..sim import Timeout
from .printers import (TABLE_ACCEPT, PrintOptions, TablePrinter, custom_columns, jsonpath, name_line, print_tables,
                       sort_table_rows, to_json, to_yaml, translate_timestamp_since)

FORMATS = ("custom-columns", "custom-columns-file", "go-template", "go-template-file", "json", "jsonpath",
           "jsonpath-as-json", "jsonpath-file", "name", "template", "templatefile", "wide", "yaml")
SERVED_FORMATS = ("", "wide", "name", "json", "yaml", "jsonpath", "custom-columns")
REQUIRED = ("You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete "
            "list of supported resources.\n\n")


async def get(kubectl, args: list[str], flags, out, input) -> None:
    from .kubectl import CommandError
    if not args and not flags.all("filename"):
        out.err.append(REQUIRED)
        raise CommandError("Required resource not specified.\nUse \"kubectl explain <resource>\" for a detailed "
                           "description of that resource (e.g. kubectl explain pods).\n"
                           "See 'kubectl get -h' for help and examples")
    output = flags.get("output") or ""
    format_name = output.partition("=")[0]
    if flags.bool("show-labels") and output not in ("", "wide"):
        raise CommandError(f"--show-labels option cannot be used with {output} printer")
    if output and format_name not in FORMATS:
        raise CommandError(f'unable to match a printer suitable for the output format "{output}", '
                           f"allowed formats are: {','.join(FORMATS)}")
    if format_name not in SERVED_FORMATS:
        raise CommandError(f"-o {format_name} is not supported by k8slite's kubectl")
    all_ns = flags.bool("all-namespaces")
    requests, with_kind_args = await _requests(kubectl, args, flags, out, input, all_ns)
    if flags.bool("watch") or flags.bool("watch-only"):
        if output not in ("", "wide"):
            raise CommandError(f"-o {output} with --watch is not supported by k8slite's kubectl")
        await _watch(kubectl, requests, flags, out, all_ns, output == "wide")
    elif output in ("", "wide"):
        await _print_tables(kubectl, requests, flags, out, all_ns, output == "wide")
    else:
        single = len(requests) == 1 and bool(requests[0][2]) and not with_kind_args
        await _print_generic(kubectl, requests, flags, out, output, single)


async def _requests(kubectl, args, flags, out, input, all_ns: bool) -> tuple[list, bool]:
    """(info, namespace, name or "" for a list) in the order the builder visits them."""
    from .kubectl import CommandError
    if flags.all("filename"):
        targets = await kubectl._targets([], flags, out, input)
        return list(targets), len(targets) > 1
    pairs, several = kubectl._resource_args(args)
    requests = []
    for info, names in pairs:
        if names and all_ns:
            raise CommandError("a resource cannot be retrieved by name across all namespaces")
        ns = ("" if all_ns else kubectl._ns(flags)) if info.namespaced else ""
        requests += [(info, ns, n) for n in names] if names else [(info, ns, "")]
    return requests, several


async def _print_tables(kubectl, requests: list, flags, out, all_ns: bool, wide: bool) -> None:
    sort_by = flags.get("sort-by") or ""
    query = (("labelSelector", flags.get("selector") or None), ("fieldSelector", flags.get("field-selector") or None),
             ("includeObject", "Object" if sort_by else None))
    infos: list[tuple[Any, dict]] = []
    failures: list[StatusError] = []
    for info, ns, name in requests:
        try:
            body = await kubectl.request("GET", resource_path(info, ns, name), () if name else query, TABLE_ACCEPT)
        except StatusError as error:
            if not (flags.bool("ignore-not-found") and errors.is_not_found(error)):
                failures.append(error)
            continue
        infos.append((info, body if body.get("kind") == "Table" else _default_table(body, kubectl.kernel.now)))
    with_kind = len({(info.group, info.kind) for info, _ in infos}) > 1
    groups: list[tuple[Any, list[dict]]] = []
    for info, table in infos:
        if groups and groups[-1][0] is info:
            groups[-1][1].append(table)
        else:
            groups.append((info, [table]))
    written = False
    no_headers = flags.bool("no-headers")
    labels = tuple(label for value in flags.all("label-columns") for label in value.split(",") if label)
    for info, tables in groups:
        if sort_by:
            sort_table_rows(tables, sort_by)
        options = PrintOptions(wide=wide, with_namespace=all_ns and info.namespaced,
                               kind=(f"{info.kind}.{info.group}" if info.group else info.kind) if with_kind else "",
                               show_labels=flags.bool("show-labels"), column_labels=labels, no_headers=no_headers)
        text = print_tables(tables, options)
        if text:
            if written and not no_headers:
                out.out.append("\n")
            out.out.append(text)
            written = True
        out.objects += tables
    kubectl.report_errors(failures, out)
    if not written and not failures and not flags.bool("ignore-not-found"):
        if not all_ns and all(info.namespaced for info, _ in infos):
            out.err.append(f"No resources found in {kubectl._ns(flags)} namespace.\n")
        else:
            out.err.append("No resources found\n")


def _default_table(body: dict, now: float) -> dict:
    """HumanReadablePrinter's default handler for an object that is not a Table: NAME and AGE."""
    items = body.get("items") if isinstance(body.get("items"), list) else [body]
    return {"kind": "Table", "columnDefinitions": [
        {"name": "Name", "type": "string", "format": "name", "priority": 0},
        {"name": "Age", "type": "string", "format": "", "priority": 0}],
        "rows": [{"cells": [(o.get("metadata") or {}).get("name", ""),
                            translate_timestamp_since((o.get("metadata") or {}).get("creationTimestamp"), now)],
                  "object": o} for o in items]}


async def _print_generic(kubectl, requests: list, flags, out, output: str, single: bool) -> None:
    from .kubectl import for_output, kind_prefix
    found: list[tuple[Any, dict]] = []
    failures: list[StatusError] = []
    for info, ns, name in requests:
        try:
            if name:
                found.append((info, await kubectl.client.get(info, ns, name)))
                continue
            listed = await kubectl.client.list(info, ns, label_selector=flags.get("selector") or "",
                                               field_selector=flags.get("field-selector") or "")
            found += [(info, item) for item in listed.get("items") or []]
        except StatusError as error:
            if not (flags.bool("ignore-not-found") and errors.is_not_found(error)):
                failures.append(error)
    objects = [for_output(obj, info) for info, obj in found]
    out.objects += objects
    if output == "name":
        for (info, _), obj in zip(found, objects):
            out.print(name_line(kind_prefix(info), obj))
    elif not (single and not objects):
        data: Any = objects[0] if single else {"apiVersion": "v1", "items": objects, "kind": "List",
                                                "metadata": {"resourceVersion": ""}}
        if output == "yaml":
            out.out.append(to_yaml(data))
        elif output == "json":
            out.print(to_json(data))
        elif output.startswith("jsonpath="):
            out.out.append(jsonpath(output[len("jsonpath="):], data))
        else:
            spec = output.partition("=")[2]
            out.out.append(custom_columns(spec, objects, flags.bool("no-headers")))
    kubectl.report_errors(failures, out)


async def _watch(kubectl, requests: list, flags, out, all_ns: bool, wide: bool) -> None:
    """get.go watch: print the list (or the object), then one row per watch event from the list's
    resourceVersion (an object's own watch starts at "0" and its first, synthetic ADDED is not
    printed), until the watch ends: the server's watch timeout, or ``--request-timeout``."""
    from .kubectl import CommandError, _duration
    if len({(info.group, info.kind) for info, _, _ in requests}) > 1 or len(requests) > 1:
        raise CommandError("watch is only supported on individual resources and resource collections - "
                           "more than 1 resource was found")
    info, ns, name = requests[0]
    selectors = (("labelSelector", flags.get("selector") or None),
                 ("fieldSelector", f"metadata.name={name}" if name else flags.get("field-selector") or None))
    labels = tuple(label for value in flags.all("label-columns") for label in value.split(",") if label)
    printer = TablePrinter(PrintOptions(wide=wide, with_namespace=all_ns and info.namespaced,
                                        show_labels=flags.bool("show-labels"), column_labels=labels,
                                        no_headers=flags.bool("no-headers")))
    listing = (("labelSelector", flags.get("selector") or None), ("fieldSelector", flags.get("field-selector") or None))
    body = await kubectl.request("GET", resource_path(info, ns, name), () if name else listing, TABLE_ACCEPT)
    if not flags.bool("watch-only"):
        table = body if body.get("kind") == "Table" else _default_table(body, kubectl.kernel.now)
        out.out.append(printer.flush(printer.lines(table)))
    version = "0" if name else (body.get("metadata") or {}).get("resourceVersion", "0")
    skip_first = bool(name)               # an object's watch from "0" opens with a synthetic ADDED
    timeout = _duration(flags.get("request-timeout") or "0")

    async def stream() -> None:
        nonlocal skip_first
        watch = await kubectl.open_watch(info, resource_path(info, ns), selectors + (("resourceVersion", version),),
                                         TABLE_ACCEPT)
        try:
            while True:
                event, _ = await watch.next()
                if event is None or event.type == "ERROR":
                    return                      # UntilWithoutRetry's error is not reported
                if event.type == "BOOKMARK":
                    continue
                if skip_first:
                    skip_first = False
                    continue
                out.out.append(printer.flush(printer.lines(event.object)))
        finally:
            watch.stop()

    try:
        if timeout:
            await kubectl.kernel.timeout(stream(), timeout)
        else:
            await stream()
    except Timeout:
        pass                                    # the client's request timeout cut the stream: exit 0
