"""kubectl: the command line, run against the simulated API server in virtual time.

Mirrors kubernetes v1.31 staging/src/k8s.io/kubectl/pkg/cmd/ (apply/apply.go, create/create.go,
describe/describe.go, delete/delete.go with wait/wait.go's IsDeleted, scale/scale.go,
label/label.go, annotate/annotate.go, drain/cordon.go, taint/taint.go, version/version.go,
apiresources/apiresources.go; get/ is in ``get.py``, rollout/ in ``rollout.py``, logs/ in
``logs.py``, top/ in ``top.py``, set/set_image.go in ``set.py``, run/ in ``run.py``,
autoscale/ in ``autoscale.py``), cli-runtime's resource builder (``TYPE NAME``,
``TYPE/NAME``, ``TYPE1,TYPE2``, the ``all`` category, ``-f`` files and directories),
genericclioptions' PrintFlags (``kind/name created``, ``-o name|yaml|json``) and
kubectl/pkg/cmd/util/helpers.go (checkErr: ``Error from server (Reason): message``, an
Invalid error as ``The Kind "name" is invalid: field: detail``, several errors one a line).

Each command is one coroutine the kernel drives to completion; what kubectl would print
to stdout and stderr comes back in a ``Result``.

Simplified: no kubeconfig, contexts or discovery cache (the scheme is the REST mapper);
no ``--server-side``, ``--prune`` or Go templates; ``--dry-run`` only for ``run``;
flags are parsed once for every command (pflag parses per command); ``delete`` waits at most
``--timeout`` (five virtual minutes by default; kubectl's is a week); a failed apply PATCH
prints the server's message without the patch and the object kubectl also prints; YAML
syntax errors carry PyYAML's wording.
"""
from __future__ import annotations

import copy
import json
import os
import shlex
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Optional

import yaml

from ..api import errors
from ..api.errors import StatusError
from ..api.scheme import SCHEME, ResourceInfo
from ..apiserver.request import Request
from ..client.rest import MERGE_PATCH, STRATEGIC_PATCH, Watch
from ..sim import Timeout, Unreachable
from . import apply as applylib
from . import autoscale, get, logs, rollout, run, set as setcmd, top
from .describe import describe as describe_text
from .printers import PrinterError, jsonpath, tabulate, to_json, to_yaml
from .rollout import RolloutError

__all__ = ["Kubectl", "Result", "CommandError", "to_yaml", "to_json", "jsonpath"]

CLIENT_VERSION = "v1.31.0-k8slite"
KUSTOMIZE_VERSION = "v5.4.2"
DELETE_TIMEOUT = 300.0             # --timeout=0: kubectl waits a week; here five virtual minutes
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")

# Flags that take no value (``--wait`` may still be given ``=false``), and the short forms.
_BOOL_FLAGS = {"all-namespaces", "show-labels", "no-headers", "now", "overwrite", "all", "force",
               "recursive", "wait", "save-config", "ignore-not-found", "help", "watch", "previous",
               "timestamps", "containers", "command", "show-capacity", "all-containers", "prefix",
               "watch-only"}
_VALUE_FLAGS = {"namespace", "output", "selector", "filename", "field-selector", "replicas",
                "grace-period", "cascade", "timeout", "to-revision", "revision", "sort-by", "label-columns",
                "container", "tail", "image", "restart", "cpu-percent", "min", "max", "name", "labels", "env",
                "port", "image-pull-policy", "dry-run", "annotations", "request-timeout"}
_SHORT = {"n": "namespace", "o": "output", "l": "selector", "A": "all-namespaces", "f": "filename",
          "R": "recursive", "h": "help", "w": "watch", "c": "container", "p": "previous", "L": "label-columns"}


class CommandError(Exception):
    """A client-side error: printed as ``error: <message>``."""


@dataclass
class Result:
    """What one kubectl command printed, and the objects it read or wrote."""
    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0
    objects: list = field(default_factory=list)

    def __str__(self) -> str:
        return self.stdout + self.stderr

    def __repr__(self) -> str:
        return str(self).rstrip("\n")

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(repr(self))


class _Out:
    def __init__(self):
        self.out: list[str] = []
        self.err: list[str] = []
        self.objects: list = []
        self.failed = False
        self.errors = 0                # how many errors were printed (an aggregate's size so far)

    def print(self, text: str = "") -> None:
        self.out.append(text + "\n")

    def error(self, text: str) -> None:
        self.err.append(text + "\n")
        self.failed = True
        self.errors += 1


class _Flags:
    def __init__(self, values: dict[str, list[str]]):
        self.values = values

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        return self.values[name][-1] if name in self.values else default

    def all(self, name: str) -> list[str]:
        return list(self.values.get(name, ()))

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.get(name)
        if value is None:
            return default
        if value.lower() not in ("true", "false", "1", "0", "t", "f"):
            raise CommandError(f'invalid argument "{value}" for "--{name}" flag: strconv.ParseBool: '
                               f'parsing "{value}": invalid syntax')
        return value.lower() in ("true", "1", "t")


def parse_args(argv: list[str]) -> tuple[list[str], _Flags]:
    """Split arguments from flags, as cobra/pflag do for the flags kubectl's commands share."""
    positional: list[str] = []
    values: dict[str, list[str]] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            positional += argv[i + 1:]
            break
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            if name not in _BOOL_FLAGS and name not in _VALUE_FLAGS:
                raise CommandError(f"unknown flag: --{name}")
            if name in _BOOL_FLAGS and not eq:
                value = "true"
            elif not eq:
                i += 1
                if i >= len(argv):
                    raise CommandError(f"flag needs an argument: --{name}")
                value = argv[i]
        elif arg.startswith("-") and len(arg) > 1:
            name = _SHORT.get(arg[1])
            if name is None:
                raise CommandError(f"unknown shorthand flag: '{arg[1]}' in {arg}")
            value = arg[2:].removeprefix("=")
            if name in _BOOL_FLAGS:
                value = "true"
            elif not value:
                i += 1
                if i >= len(argv):
                    raise CommandError(f"flag needs an argument: '{arg[1]}' in {arg}")
                value = argv[i]
        else:
            positional.append(arg)
            i += 1
            continue
        values.setdefault(name, []).append(value)
        i += 1
    return positional, _Flags(values)


def kind_prefix(info: ResourceInfo) -> str:
    """``deployment.apps/``, ``pod/``: how kubectl names an object of this kind."""
    return f"{info.kind.lower()}.{info.group}/" if info.group else f"{info.kind.lower()}/"


def _qualified_kind_lower(info: ResourceInfo) -> str:
    return f"{info.kind.lower()}.{info.group}" if info.group else info.kind.lower()


def status_message(error: StatusError) -> str:
    """cmdutil.StandardErrorMessage for an API error."""
    reason = error.reason
    if reason == "Unauthorized":
        return f"error: You must be logged in to the server ({error.message})"
    if reason and reason != "Unknown":
        return f"Error from server ({reason}): {error.message}"
    return f"Error from server: {error.message}"


def check_err(error: StatusError) -> str:
    """cmdutil.CheckErr for one API error a command ends with: an Invalid error lists its
    causes (``field: detail``, deduplicated; several as ``* `` lines under the heading),
    any other is StandardErrorMessage. No trailing newline."""
    details = error.status.get("details")
    if error.reason != "Invalid" or error.code != 422:
        return status_message(error)
    if not details:
        return "The request is invalid"
    heading = "The request is invalid"
    if details.get("kind") or details.get("name"):
        heading = f"The {details.get('kind', '')} {json.dumps(details.get('name', ''))} is invalid"
    causes: list[str] = []
    for cause in details.get("causes") or []:
        text = f"{cause.get('field', '')}: {cause.get('message', '')}"
        if text not in causes:
            causes.append(text)
    if not causes:
        return heading
    if len(causes) == 1:
        return f"{heading}: {causes[0]}"
    return f"{heading}: \n" + "\n".join(f"* {c}" for c in causes)


def with_source(error: StatusError, verb: str, source: str) -> StatusError:
    """cmdutil.AddSourceToErr: the same Status, its message prefixed with where the object came from."""
    status = dict(error.status, message=f'error when {verb} "{source}": {error.message}')
    return StatusError(status)




def for_output(obj: dict, info: ResourceInfo) -> dict:
    """The object as kubectl prints it: kind and apiVersion set, managedFields hidden."""
    obj = dict(obj)
    obj.setdefault("apiVersion", info.api_version)
    obj.setdefault("kind", info.kind)
    if "managedFields" in (obj.get("metadata") or {}):
        obj["metadata"] = {k: v for k, v in obj["metadata"].items() if k != "managedFields"}
    return obj


# --- manifests --------------------------------------------------------------------------

@dataclass
class _Doc:
    source: str
    obj: dict


class Kubectl:
    """``kubectl`` for one client: ``kubectl("get pods -o wide")`` or ``kubectl.get("pods")``."""

    def __init__(self, kernel, client, namespace: str = "default", cwd: Optional[str] = None):
        self.kernel, self.client, self.namespace, self.cwd = kernel, client, namespace, cwd
        self.scheme = SCHEME

    # -- entry points ----------------------------------------------------------------
    def __call__(self, command: str, input: Any = None) -> Result:
        argv = shlex.split(command)
        if argv and argv[0] == "kubectl":
            argv = argv[1:]
        return self.run(argv, input)

    def run(self, argv: list[str], input: Any = None) -> Result:
        """Run one command line (already split); ``input`` is what ``-f -`` reads."""
        out = _Out()
        self.kernel.run_until_complete(self._main(list(argv), input, out), limit=7 * 86400)
        return Result("".join(out.out), "".join(out.err), 1 if out.failed else 0, out.objects)

    def apply(self, manifest: Any) -> Result:
        """``kubectl apply -f -`` with YAML text, an object or a list of objects."""
        return self.run(["apply", "-f", "-"], manifest)

    def create(self, manifest: Any) -> Result:
        return self.run(["create", "-f", "-"], manifest)

    def get(self, resource: str, name: Optional[str] = None, namespace: Optional[str] = None,
            output: Optional[str] = None, selector: Optional[str] = None, all_namespaces: bool = False,
            wide: bool = False) -> Result:
        argv = ["get", resource] + ([name] if name else [])
        argv += self._common(namespace, output or ("wide" if wide else None), selector)
        return self.run(argv + (["-A"] if all_namespaces else []))

    def describe(self, resource: str, name: Optional[str] = None, namespace: Optional[str] = None) -> Result:
        return self.run(["describe", resource] + ([name] if name else []) + self._common(namespace))

    def delete(self, resource: str, name: str, namespace: Optional[str] = None, wait: bool = True,
               grace_period: Optional[int] = None) -> Result:
        argv = ["delete", resource, name, f"--wait={str(wait).lower()}"] + self._common(namespace)
        return self.run(argv + ([f"--grace-period={grace_period}"] if grace_period is not None else []))

    def scale(self, resource: str, name: str, replicas: int, namespace: Optional[str] = None) -> Result:
        return self.run(["scale", resource, name, f"--replicas={replicas}"] + self._common(namespace))

    def label(self, resource: str, name: str, *labels: str, overwrite: bool = False,
              namespace: Optional[str] = None) -> Result:
        argv = ["label", resource, name, *labels] + (["--overwrite"] if overwrite else [])
        return self.run(argv + self._common(namespace))

    @staticmethod
    def _common(namespace=None, output=None, selector=None) -> list[str]:
        argv = []
        for flag, value in (("-n", namespace), ("-o", output), ("-l", selector)):
            if value:
                argv += [flag, value]
        return argv

    # -- dispatch ----------------------------------------------------------------------
    async def _main(self, argv: list[str], input: Any, out: _Out) -> None:
        commands = {"apply": self._apply, "create": self._create, "get": partial(get.get, self),
                    "describe": self._describe, "delete": self._delete, "scale": self._scale,
                    "label": self._label, "annotate": self._annotate, "cordon": self._cordon,
                    "uncordon": self._uncordon, "taint": self._taint, "version": self._version,
                    "api-resources": self._api_resources, "rollout": partial(rollout.rollout, self),
                    "logs": partial(logs.logs, self), "top": partial(top.top, self),
                    "set": partial(setcmd.set_, self), "run": partial(run.run, self),
                    "autoscale": partial(autoscale.autoscale, self)}
        try:
            if not argv:
                raise CommandError("no command given")   # kubectl prints its help here
            command = argv[0]
            if command not in commands:
                raise CommandError(f'unknown command "{command}" for "kubectl"')
            args, flags = parse_args(argv[1:])
            await commands[command](args, flags, out, input)
        except (CommandError, RolloutError, PrinterError) as error:
            message = str(error)
            out.error(message if message.startswith("error: ") else f"error: {message}")
        except StatusError as error:
            out.error(check_err(error))

    # -- what commands share -------------------------------------------------------------
    async def request(self, method: str, path: str, query: tuple = (), accept: str = "application/json") -> Any:
        """One request with an Accept header (rest.Request.SetHeader("Accept", ...)), as ``get``
        sends it to be answered with a Table; otherwise what ``Client.request`` does."""
        client = self.client
        request = Request(method, path, tuple((k, str(v)) for k, v in query if v is not None), None, client.user,
                          client.groups, accept=accept, credential=client.credential)
        try:
            response = await client.network.request(client.endpoint, client.server, method, request.line(),
                                                     request, client.timeout)
        except Unreachable as error:
            raise errors.timeout(f"{method} {path}: {error}") from error
        if response.code >= 400:
            raise errors.from_status(response.body)
        return response.body

    async def open_watch(self, info: ResourceInfo, path: str, query: tuple, accept: str) -> Watch:
        """``Client.watch`` with an Accept header: ``get --watch`` asks for each event's object
        as a one-row Table. The stream is registered with the client as its own watches are."""
        reply = await self.request("GET", path, (("watch", "true"),) + query, accept)
        watch = Watch(self.client, reply["watch"], info)
        self.client._watches[watch.id] = watch
        for event, hop in self.client._early.pop(watch.id, ()):
            watch._push(event, hop)
            if event is None:
                self.client._watches.pop(watch.id, None)
        return watch

    def print_obj(self, obj: dict, info: ResourceInfo, operation: str, flags: _Flags, out: _Out,
                  dry_run: str = "") -> None:
        """PrintFlags.ToPrinter(operation): ``kind.group/name operation`` (with `` (dry run)`` or
        `` (server dry run)``), or the object as ``-o name|yaml|json`` ask."""
        output = flags.get("output") or ""
        obj = for_output(obj, info)
        name = (obj.get("metadata") or {}).get("name", "")
        if output == "":
            suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(dry_run, "")
            out.print(f"{kind_prefix(info)}{name} {operation}{suffix}")
        elif output == "name":
            out.print(f"{kind_prefix(info)}{name}")
        elif output == "yaml":
            out.out.append(to_yaml(obj))
        elif output == "json":
            out.print(to_json(obj))
        else:
            raise CommandError(f'unable to match a printer suitable for the output format "{output}", '
                               "allowed formats are: go-template,go-template-file,json,jsonpath,jsonpath-as-json,"
                               "jsonpath-file,name,template,templatefile,yaml")

    def _ns(self, flags: _Flags) -> str:
        return flags.get("namespace") or self.namespace

    def _lookup(self, name: str) -> ResourceInfo:
        try:
            return self.scheme.lookup(name)
        except KeyError:
            raise CommandError(f'the server doesn\'t have a resource type "{name}"') from None

    def _expand_types(self, spec: str) -> list[ResourceInfo]:
        infos: list[ResourceInfo] = []
        for part in spec.split(","):
            if part == "all":
                found = [i for i in self.scheme.all() if "all" in i.categories]
            else:
                found = [self._lookup(part)]
            infos += [i for i in found if i not in infos]
        return infos

    def _resource_args(self, args: list[str]) -> tuple[list[tuple[ResourceInfo, list[str]]], bool]:
        """cli-runtime's ResourceTypeOrNameArgs: (type, names) pairs and whether several types
        were asked for (then names print with their kind)."""
        if not args:
            raise CommandError('You must provide one or more resources by argument or filename.')
        if all("/" in a for a in args):
            pairs: list[tuple[ResourceInfo, list[str]]] = []
            for arg in args:
                kind, _, name = arg.partition("/")
                info = self._lookup(kind)
                for existing in pairs:
                    if existing[0] == info:
                        existing[1].append(name)
                        break
                else:
                    pairs.append((info, [name]))
            return pairs, len(pairs) > 1
        if any("/" in a for a in args):
            raise CommandError("there is no need to specify a resource type as a separate argument "
                               "when passing arguments in resource/name form (e.g. 'kubectl get "
                               "resource/<resource_name>' instead of 'kubectl get resource "
                               "resource/<resource_name>'")
        infos = self._expand_types(args[0])
        return [(i, list(args[1:])) for i in infos], "," in args[0] or args[0] == "all"

    # -- manifests ---------------------------------------------------------------------
    def _read_manifests(self, flags: _Flags, input: Any, out: _Out) -> list[_Doc]:
        """The documents of every -f, in order; a parse error keeps what was read before it."""
        names = flags.all("filename")
        if not names:
            raise CommandError("must specify one of -f and -k")
        docs: list[_Doc] = []
        for name in names:
            if name == "-":
                docs += self._parse("STDIN", input, out)
                continue
            path = os.path.join(self.cwd or os.getcwd(), name)
            if os.path.isdir(path):
                files = sorted(os.path.join(name, f) for f in os.listdir(path)
                               if f.endswith((".yaml", ".yml", ".json")))
            elif os.path.exists(path):
                files = [name]
            else:
                raise CommandError(f'the path "{name}" does not exist')
            for file in files:
                with open(os.path.join(self.cwd or os.getcwd(), file), encoding="utf-8") as fh:
                    docs += self._parse(file, fh.read(), out)
        return docs

    @staticmethod
    def _parse(source: str, content: Any, out: _Out) -> list[_Doc]:
        if isinstance(content, dict):
            content = [content]
        docs: list[_Doc] = []
        if isinstance(content, (list, tuple)):
            loaded = [copy.deepcopy(c) for c in content]
        else:
            loaded = []
            try:
                for doc in yaml.safe_load_all(content or ""):
                    loaded.append(doc)
            except yaml.YAMLError as error:
                mark = getattr(error, "problem_mark", None)
                where = f"line {mark.line + 1}: " if mark is not None else ""
                problem = getattr(error, "problem", None) or str(error)
                out.error(f"error: error parsing {source}: error converting YAML to JSON: yaml: {where}{problem}")
        for obj in loaded:
            if obj is None:
                continue
            if not isinstance(obj, dict):
                out.error(f"error: error parsing {source}: json: cannot unmarshal into Go value of type map")
                continue
            if obj.get("kind", "").endswith("List") and isinstance(obj.get("items"), list):
                docs += [_Doc(source, item) for item in obj["items"]]
            else:
                docs.append(_Doc(source, obj))
        return docs

    def _mapping(self, doc: _Doc, flags: _Flags, out: _Out) -> Optional[tuple[ResourceInfo, str, dict]]:
        """The object's resource and namespace, with the namespace filled in, or None after an error."""
        obj = copy.deepcopy(doc.obj)
        meta = obj.get("metadata") or {}
        missing = [f"{f} not set" for f in ("apiVersion", "kind") if not obj.get(f)]
        if missing:
            out.error(f'error: error validating "{doc.source}": error validating data: [{", ".join(missing)}]; '
                      "if you choose to ignore these errors, turn validation off with --validate=false")
            return None
        try:
            info = self.scheme.by_kind(obj["apiVersion"], obj["kind"])
        except StatusError as error:
            out.error(f'error: resource mapping not found for name: "{meta.get("name", "")}" namespace: '
                      f'"{meta.get("namespace", "")}" from "{doc.source}": {error.message}\n'
                      "ensure CRDs are installed first")
            return None
        namespace = ""
        if info.namespaced:
            given = flags.get("namespace")
            namespace = meta.get("namespace") or given or self.namespace
            if given and meta.get("namespace") and given != meta["namespace"]:
                out.error(f'error: the namespace from the provided object "{meta["namespace"]}" does not match '
                          f'the namespace "{given}". You must pass \'--namespace={meta["namespace"]}\' '
                          "to perform this operation.")
                return None
            obj.setdefault("metadata", {})["namespace"] = namespace
        return info, namespace, obj

    # -- apply / create --------------------------------------------------------------
    async def _apply(self, args, flags: _Flags, out: _Out, input) -> None:
        docs = self._read_manifests(flags, input, out)
        failures: list[StatusError] = []
        parse_errors, out.err = out.err, []
        if not docs and not parse_errors:
            raise CommandError("no objects passed to apply")
        for doc in docs:
            mapped = self._mapping(doc, flags, out)
            if mapped is None:
                continue
            info, namespace, obj = mapped
            name = obj["metadata"].get("name", "")
            label = kind_prefix(info) + name
            modified, _ = applylib.modified_configuration(obj)
            try:
                try:
                    live = await self.client.get(info, namespace, name)
                except StatusError as error:
                    if not errors.is_not_found(error):
                        raise
                    try:
                        created = await self.client.create(info, namespace, modified)
                    except StatusError as error:
                        failures.append(with_source(error, "creating", doc.source))
                        continue
                    out.objects.append(created)
                    out.print(f"{label} created")
                    continue
                original = applylib.original_configuration(live)
                if original is None:
                    out.err.append(f"Warning: resource {info.resource}/{name} is missing the "
                                   f"{applylib.LAST_APPLIED} annotation which is required by kubectl apply. "
                                   "kubectl apply should only be used on resources created declaratively by "
                                   "either kubectl create --save-config or kubectl apply. The missing "
                                   "annotation will be patched automatically.\n")
                patch = applylib.three_way_merge_patch(original, modified, live)
                if not patch:
                    out.objects.append(live)
                    out.print(f"{label} unchanged")
                    continue
                try:
                    patched = await self.client.patch(info, namespace, name, patch, STRATEGIC_PATCH)
                except StatusError as error:
                    failures.append(with_source(error, "patching", doc.source))
                    continue
                out.objects.append(patched)
                out.print(f"{label} configured")
            except StatusError as error:
                failures.append(error)
        self.report_errors(failures, out)
        out.err[:0] = parse_errors
        out.failed = out.failed or bool(parse_errors)

    @staticmethod
    def report_errors(failures: list[StatusError], out: "_Out") -> None:
        """The API errors a command collected, printed as checkErr prints their aggregate (the
        errors already printed count towards it): one alone as checkErr prints it, several as
        MultipleErrors, each StandardErrorMessage."""
        if len(failures) == 1 and out.errors == 0:
            out.error(check_err(failures[0]))
            return
        for failure in failures:
            out.error(status_message(failure))

    async def _create(self, args, flags: _Flags, out: _Out, input) -> None:
        if args:
            raise CommandError(f'unknown command "{args[0]}" for "kubectl create"')
        docs = self._read_manifests(flags, input, out)
        failures: list[StatusError] = []
        for doc in docs:
            mapped = self._mapping(doc, flags, out)
            if mapped is None:
                continue
            info, namespace, obj = mapped
            if flags.bool("save-config"):
                obj, _ = applylib.modified_configuration(obj)
            try:
                created = await self.client.create(info, namespace, obj)
            except StatusError as error:
                failures.append(with_source(error, "creating", doc.source))
                continue
            out.objects.append(created)
            out.print(f"{kind_prefix(info)}{created['metadata']['name']} created")
        self.report_errors(failures, out)

    # -- describe ----------------------------------------------------------------------
    async def _fetch(self, pairs, flags: _Flags, out: _Out, all_namespaces: bool) -> list[tuple[ResourceInfo, list]]:
        """The objects of each (type, names): by name with GET, else a LIST; errors go to stderr."""
        ns = "" if all_namespaces else self._ns(flags)
        found, failures = [], []
        for info, names in pairs:
            objects: list = []
            if names:
                for name in names:
                    try:
                        objects.append(await self.client.get(info, ns if info.namespaced else "", name))
                    except StatusError as error:
                        failures.append(status_message(error))
            else:
                listed = await self.client.list(info, ns if info.namespaced else "",
                                                label_selector=flags.get("selector") or "",
                                                field_selector=flags.get("field-selector") or "")
                objects = list(listed.get("items") or [])
            found.append((info, [for_output(o, info) for o in objects]))
        for message in failures:
            out.error(message)
        return found

    async def _describe(self, args, flags: _Flags, out: _Out, input) -> None:
        if not args:
            raise CommandError("You must specify the type of resource to describe. Use \"kubectl "
                               "api-resources\" for a complete list of supported resources.")
        pairs, _ = self._resource_args(args)
        found = await self._fetch(pairs, flags, out, flags.bool("all-namespaces"))
        texts = []
        for info, objs in found:
            for obj in objs:
                out.objects.append(obj)
                events, related = await self._describe_context(info, obj)
                texts.append(describe_text(info.kind, obj, events, self.kernel.now, related) + "\n")
        if texts:
            out.out.append("\n\n".join(texts))
        elif not out.failed and not any(names for _, names in pairs):
            out.err.append(f"No resources found in {self._ns(flags)} namespace.\n")

    async def _describe_context(self, info: ResourceInfo, obj: dict) -> tuple[list, dict]:
        """What the describer fetches besides the object: its events and related objects."""
        meta = obj["metadata"]
        name, ns, uid = meta["name"], meta.get("namespace", ""), meta.get("uid", "")
        if info.kind == "Node":
            uid = name          # describeNode: kubelet records node events with UID = node name
        events_info = self.scheme.by_resource("", "events")
        selector = (f"involvedObject.name={name},involvedObject.namespace={ns},"
                    f"involvedObject.kind={info.kind},involvedObject.uid={uid}")
        events = (await self.client.list(events_info, ns, field_selector=selector)).get("items") or []
        related: dict = {}
        pods_info = self.scheme.by_resource("", "pods")
        if info.kind == "Node":
            try:
                related["lease"] = await self.client.get(self.scheme.by_resource("coordination.k8s.io", "leases"),
                                                         "kube-node-lease", name)
            except StatusError:
                related["lease"] = None
            related["pods"] = (await self.client.list(pods_info, "", field_selector=(
                f"spec.nodeName={name},status.phase!=Failed,status.phase!=Succeeded"))).get("items") or []
        elif info.kind == "Deployment":
            related["replicasets"] = (await self.client.list(
                self.scheme.by_resource("apps", "replicasets"), ns)).get("items") or []
        elif info.kind == "ReplicaSet":
            related["pods"] = (await self.client.list(pods_info, ns)).get("items") or []
        elif info.kind == "Service":
            related["endpointslices"] = (await self.client.list(
                self.scheme.by_resource("discovery.k8s.io", "endpointslices"), ns,
                label_selector=f"kubernetes.io/service-name={name}")).get("items") or []
        return events, related

    # -- delete ------------------------------------------------------------------------
    async def _delete(self, args, flags: _Flags, out: _Out, input) -> None:
        if not flags.all("filename") and not args:
            raise CommandError("You must provide one or more resources by argument or filename.\n"
                               "Example resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n"
                               "   '<resource> <name>'\n   '<resource>'")
        targets = await self._targets(args, flags, out, input)
        grace = flags.get("grace-period")
        grace_period = int(grace) if grace is not None and int(grace) >= 0 else None
        if flags.bool("now"):
            grace_period = 1
        cascade = (flags.get("cascade") or "background").lower()
        policies = {"background": "Background", "true": "Background", "foreground": "Foreground",
                    "orphan": "Orphan", "false": "Orphan"}
        if cascade not in policies:
            raise CommandError(f'invalid cascade value ({cascade}). Must be "background", "foreground", or "orphan".')
        if grace_period == 0 and flags.bool("force"):
            out.err.append("Warning: Immediate deletion does not wait for confirmation that the running "
                           "resource has been terminated. The resource may continue to run on the cluster "
                           "indefinitely.\n")
        deleted = []
        for info, ns, name in targets:
            try:
                result = await self.client.delete(info, ns, name, grace_period, policies[cascade])
            except StatusError as error:
                if not (flags.bool("ignore-not-found") and errors.is_not_found(error)):
                    out.error(status_message(error))
                continue
            out.objects.append(result)
            out.print(f'{_qualified_kind_lower(info)} "{name}" deleted')
            # delete.go's uidMap: the UID the DELETE answered with, from the object or the Status.
            if result.get("kind") == "Status":
                uid = (result.get("details") or {}).get("uid", "")
            else:
                uid = (result.get("metadata") or {}).get("uid", "")
            deleted.append((info, ns, name, uid))
        if not targets and not out.failed:
            out.err.append(f"No resources found\n")
        if flags.bool("wait", True):
            deadline = self.kernel.now + (_duration(flags.get("timeout") or "0s") or DELETE_TIMEOUT)
            for info, ns, name, uid in deleted:
                try:
                    await self.kernel.timeout(self._wait_deleted(info, ns, name, uid), deadline - self.kernel.now)
                except Timeout:
                    out.error(f"error: timed out waiting for the condition on {info.resource}/{name}")
                    break

    async def _wait_deleted(self, info: ResourceInfo, ns: str, name: str, uid: str) -> None:
        """wait.IsDeleted: LIST by ``metadata.name``; gone, or there under another UID (a controller
        recreated it), means deleted; else WATCH from the list's resourceVersion until a DELETED."""
        selector = f"metadata.name={name}"
        while True:
            listed = await self.client.list(info, ns, field_selector=selector)
            items = listed.get("items") or []
            if not items or (uid and items[0]["metadata"].get("uid") != uid):
                return
            version = listed["metadata"]["resourceVersion"]
            watch = await self.client.watch(info, ns, version, field_selector=selector, timeout_seconds=300)
            try:
                while True:
                    event, _ = await watch.next()
                    if event is None or event.type == "ERROR":
                        break                           # the stream ended or expired: list again
                    if event.type == "BOOKMARK":
                        continue
                    if event.type == "DELETED" or (uid and event.object["metadata"].get("uid") != uid):
                        return
            finally:
                watch.stop()

    # -- scale -----------------------------------------------------------------------------
    async def _scale(self, args, flags: _Flags, out: _Out, input) -> None:
        replicas = flags.get("replicas")
        if replicas is None:
            raise CommandError('required flag(s) "replicas" not set')
        try:
            count = int(replicas)
        except ValueError:
            raise CommandError(f'invalid argument "{replicas}" for "--replicas" flag: strconv.ParseInt: '
                               f'parsing "{replicas}": invalid syntax') from None
        if count < 0:
            raise CommandError("The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0")
        for info, ns, name in await self._targets(args, flags, out, input):
            if "scale" not in info.subresources:
                raise CommandError(f'no scaler has been implemented for {{"{info.group}" "{info.kind}"}}')
            scale = await self.client.patch(info, ns, name, {"spec": {"replicas": count}}, MERGE_PATCH, "scale")
            out.objects.append(scale)
            out.print(f"{kind_prefix(info)}{name} scaled")

    async def _targets(self, args, flags: _Flags, out: _Out, input, names_from: int = 0):
        """(type, namespace, name) for ``TYPE NAME...``, ``TYPE/NAME...``, ``-f`` or ``TYPE -l``."""
        if flags.all("filename"):
            targets = []
            for doc in self._read_manifests(flags, input, out):
                mapped = self._mapping(doc, flags, out)
                if mapped is not None:
                    targets.append((mapped[0], mapped[1], mapped[2]["metadata"].get("name", "")))
            return targets
        pairs, _ = self._resource_args(args)
        targets = []
        for info, names in pairs:
            ns = self._ns(flags) if info.namespaced else ""
            if not names:
                if not (flags.get("selector") or flags.bool("all")):
                    raise CommandError("resource(s) were provided, but no name was specified")
                listed = await self.client.list(info, ns, label_selector=flags.get("selector") or "")
                names = [o["metadata"]["name"] for o in listed.get("items") or []]
            targets += [(info, ns, n) for n in names]
        return targets

    # -- label / annotate ------------------------------------------------------------------
    async def _label(self, args, flags, out, input) -> None:
        await self._metadata_map("labels", args, flags, out, input)

    async def _annotate(self, args, flags, out, input) -> None:
        await self._metadata_map("annotations", args, flags, out, input)

    async def _metadata_map(self, field_name: str, args, flags: _Flags, out: _Out, input) -> None:
        changes = [a for a in args if "=" in a or a.endswith("-")]
        resources = [a for a in args if a not in changes]
        if not changes:
            raise CommandError(f"at least one {field_name[:-1]} update is required")
        add, remove = {}, []
        for change in changes:
            if "=" in change:
                key, _, value = change.partition("=")
                add[key] = value
            else:
                remove.append(change[:-1])
        overwrite = flags.bool("overwrite")
        for info, ns, name in await self._targets(resources, flags, out, input):
            obj = await self.client.get(info, ns, name)
            current = dict((obj.get("metadata") or {}).get(field_name) or {})
            if not overwrite:
                clashes = [k for k in add if k in current and current[k] != add[k]]
                if clashes and field_name == "labels":
                    k = clashes[0]
                    raise CommandError(f"'{k}' already has a value ({current[k]}), and --overwrite is false")
                if clashes:
                    listed = "; ".join(f"'{k}' already has a value ({current[k]})" for k in clashes)
                    raise CommandError(f"--overwrite is false but found the following declared "
                                       f"annotation(s): {listed}")
            updated = dict(current)
            for key in remove:
                updated.pop(key, None)
            updated.update(add)
            patch = {k: v for k, v in updated.items() if current.get(k) != v}
            patch.update({k: None for k in current if k not in updated})
            if patch:
                obj = await self.client.patch(info, ns, name, {"metadata": {field_name: patch}}, MERGE_PATCH)
            out.objects.append(obj)
            if field_name == "annotations":
                verb = "annotated"
            elif updated == current:
                verb = "not labeled"
            elif not overwrite and len(updated) < len(current):
                verb = "unlabeled"
            else:
                verb = "labeled"
            out.print(f"{kind_prefix(info)}{name} {verb}")

    # -- nodes -----------------------------------------------------------------------------
    async def _cordon(self, args, flags, out, input) -> None:
        await self._set_unschedulable(True, args, flags, out)

    async def _uncordon(self, args, flags, out, input) -> None:
        await self._set_unschedulable(False, args, flags, out)

    async def _set_unschedulable(self, desired: bool, args, flags: _Flags, out: _Out) -> None:
        nodes = self.scheme.by_resource("", "nodes")
        verb = "cordoned" if desired else "uncordoned"
        names = list(args)
        if not names and flags.get("selector"):
            listed = await self.client.list(nodes, label_selector=flags.get("selector"))
            names = [n["metadata"]["name"] for n in listed.get("items") or []]
        if not names:
            raise CommandError("USAGE: cordon NODE [flags]" if desired else "USAGE: uncordon NODE [flags]")
        for arg in names:
            name = arg.partition("/")[2] if "/" in arg else arg
            node = await self.client.get(nodes, "", name)
            if bool((node.get("spec") or {}).get("unschedulable")) == desired:
                out.objects.append(node)
                out.print(f"node/{name} already {verb}")
                continue
            node = await self.client.patch(nodes, "", name, {"spec": {"unschedulable": True if desired else None}},
                                           STRATEGIC_PATCH)
            out.objects.append(node)
            out.print(f"node/{name} {verb}")

    async def _taint(self, args, flags: _Flags, out: _Out, input) -> None:
        if len(args) < 2:
            raise CommandError("at least one taint update is required")
        info = self._lookup(args[0].partition("/")[0])
        if info.kind != "Node":
            raise CommandError(f"invalid resource type {args[0]}, only node types are supported")
        if "/" in args[0]:
            names, specs = [args[0].partition("/")[2]], args[1:]
        else:
            names, specs = [args[1]], args[2:]
        if not specs:
            raise CommandError("at least one taint update is required")
        add, remove = [], []
        for spec in specs:
            if spec.endswith("-"):
                key, _, effect = spec[:-1].partition(":")
                remove.append((key.partition("=")[0], effect))
                continue
            head, sep, effect = spec.rpartition(":")
            if not sep or effect not in TAINT_EFFECTS:
                raise CommandError(f"invalid taint spec: {spec}, unsupported taint effect" if sep else
                                   f"invalid taint spec: {spec}")
            key, eq, value = head.partition("=")
            taint = {"key": key, "effect": effect}
            if value:
                taint = {"effect": effect, "key": key, "value": value}
            add.append(taint)
        for name in names:
            node = await self.client.get(info, "", name)
            taints = list((node.get("spec") or {}).get("taints") or [])
            for key, effect in remove:
                kept = [t for t in taints if not (t.get("key") == key and (not effect or t.get("effect") == effect))]
                if len(kept) == len(taints):
                    raise CommandError(f'taint "{key}{":" + effect if effect else ""}" not found')
                taints = kept
            for taint in add:
                same = [i for i, t in enumerate(taints) if t.get("key") == taint["key"]
                        and t.get("effect") == taint["effect"]]
                if same and not flags.bool("overwrite"):
                    raise CommandError(f"node {name} already has {taint['key']} taint(s) with same effect(s) "
                                       "and --overwrite is false")
                if same:
                    taints[same[0]] = taint
                else:
                    taints.append(taint)
            node = await self.client.patch(info, "", name, {"spec": {"taints": taints or None}}, MERGE_PATCH)
            out.objects.append(node)
            verb = "modified" if add and remove else "tainted" if add else "untainted"
            out.print(f"node/{name} {verb}")

    # -- discovery -----------------------------------------------------------------------
    async def _version(self, args, flags: _Flags, out: _Out, input) -> None:
        server = await self.client.request("GET", "/version")
        out.objects.append(server)
        out.print(f"Client Version: {CLIENT_VERSION}")
        out.print(f"Kustomize Version: {KUSTOMIZE_VERSION}")
        out.print(f"Server Version: {server.get('gitVersion', '')}")

    async def _api_resources(self, args, flags: _Flags, out: _Out, input) -> None:
        rows = [["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]]
        for info in self.scheme.all():
            rows.append([info.resource, ",".join(info.short_names), info.api_version,
                         "true" if info.namespaced else "false", info.kind])
        out.out.append(tabulate(rows) + "\n")


def _duration(text: str) -> float:
    """A Go duration as kubectl's --timeout takes it: "30s", "5m", "1h30m", or bare seconds."""
    if text.replace(".", "", 1).isdigit():
        return float(text)
    total, number = 0.0, ""
    units = {"s": 1, "m": 60, "h": 3600, "ms": 0.001}
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isdigit() or ch == ".":
            number += ch
            i += 1
            continue
        unit = "ms" if text[i:i + 2] == "ms" else ch
        if unit not in units or not number:
            raise CommandError(f'invalid argument "{text}" for "--timeout" flag: time: invalid duration "{text}"')
        total += float(number) * units[unit]
        number = ""
        i += len(unit)
    return total
