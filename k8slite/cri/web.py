"""HTTP inside the containers: busybox's ``wget`` and the servers of the images the docs load-test.

Mirrors busybox 1.36 ``networking/wget.c`` (``wget [-q] [-O FILE] [-T SEC] URL``: the body to
FILE, ``-`` for stdout; "Connecting to host (ip:port)" on stderr unless ``-q``; its errors
"bad address 'x'", "can't connect to remote host (ip): Connection refused", "server returned
error: HTTP/1.1 404 Not Found", "download timed out"), the Kubernetes HPA walkthrough's
``registry.k8s.io/hpa-example`` (Apache with PHP serving an ``index.php`` that runs a million
square roots per request and answers ``OK!``) and nginx's default site.

Simplified: a request is a call through the cluster's data plane (``ContainerRuntime.dataplane``)
rather than packets; an HTTP server handles one request at a time, and a request's CPU time runs
at the container's CPU limit (at most one core), so a busy container answers more slowly, as a
throttled one does; index.php costs ``PHP_REQUEST_CPU`` of CPU per request.
"""
from __future__ import annotations

from ..sim import Timeout
from .shell import IO, Shell

PHP_REQUEST_CPU = 0.1           # CPU seconds for index.php's million sqrt() calls (PHP 5, one core)
NGINX_REQUEST_CPU = 0.0002
APACHE_STARTUP = ("AH00558: apache2: Could not reliably determine the server's fully qualified domain name, "
                  "using 10.244.0.1. Set the 'ServerName' directive globally to suppress this message",
                  "[mpm_prefork:notice] [pid 1] AH00163: Apache/2.4.10 (Debian) PHP/5.6.14 configured -- "
                  "resuming normal operations",
                  "[core:notice] [pid 1] AH00094: Command line: 'apache2 -D FOREGROUND'")
NGINX_WELCOME = "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n</html>\n"
REASONS = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}


async def wget(sh: Shell, argv: list, io: IO) -> int:
    quiet, output, timeout, url = False, None, 0.0, None
    args = list(argv[1:])
    while args:
        arg = args.pop(0)
        if arg == "-q":
            quiet = True
        elif arg.startswith("-O"):
            output = arg[2:] or (args.pop(0) if args else "")
        elif arg.startswith("-T"):
            timeout = float(arg[2:] or (args.pop(0) if args else "0"))
        elif arg.startswith("-"):
            io.stderr.write(f"wget: unrecognized option '{arg}'\n")
            return 1
        else:
            url = arg
    if url is None:
        io.stderr.write("BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\n"
                        "Usage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n")
        return 1
    host = url.split("://", 1)[-1].split("/", 1)[0]
    try:
        if timeout:
            code, body = await sh.host.runtime.kernel.timeout(sh.host.http_get(url), timeout)
        else:
            code, body = await sh.host.http_get(url)
    except ConnectionError as error:
        io.stderr.write(f"wget: {error}\n")
        return 1
    except Timeout:
        io.stderr.write("wget: download timed out\n")
        return 1
    if not quiet:
        io.stderr.write(f"Connecting to {host}\n")
    if code >= 400:
        io.stderr.write(f"wget: server returned error: HTTP/1.1 {code} {REASONS.get(code, '')}\n")
        return 1
    target = output if output is not None else (url.rstrip("/").rsplit("/", 1)[-1] if "/" in
                                                url.split("://", 1)[-1] else "index.html")
    if target == "-":
        io.stdout.write(body)
    else:
        sh.host.fs[target] = body
    if not quiet and target != "-":
        io.stderr.write(f"saving to '{target}'\n'{target}' saved\n")
    return 0


async def hpa_example(sh: Shell, argv: list, io: IO) -> int:
    """``apache2-foreground`` in registry.k8s.io/hpa-example: index.php burns CPU on every request."""
    for line in APACHE_STARTUP:
        io.stderr.write(line + "\n")
    host = sh.host

    async def handle(method: str, path: str) -> tuple[int, str]:
        if path not in ("/", "/index.php"):
            return 404, "Not Found\n"
        await host.burn(PHP_REQUEST_CPU)
        return 200, "OK!"
    host.listen(80, handle)
    await host.forever()
    return 0


def nginx_site(host) -> None:
    """nginx's default server: the welcome page on port 80."""
    async def handle(method: str, path: str) -> tuple[int, str]:
        await host.burn(NGINX_REQUEST_CPU)
        return (200, NGINX_WELCOME) if path in ("/", "/index.html") else (404, "404 Not Found\n")
    host.listen(80, handle)
