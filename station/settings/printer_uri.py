"""Printer URIs and label sizes: which printer a station drives and on what paper.

A setting, checked when the configuration loads (so a mistyped URI stops the station at
start-up with the reason, not at the first print); the printers themselves are in
station.labels.printers and drivers/.

Printer URIs (`printer.uri` in the configuration):

    escpos+tcp://HOST[:PORT]             ESC/POS on a network printer (raw port, 9100 if omitted)
    escpos+usb://VID:PID                 ESC/POS on USB through pyusb, e.g. escpos+usb://04b8:0e15
    escpos+serial:///dev/ttyUSB0?baud=N  ESC/POS on a serial port (9600 baud if omitted)
    escpos+file:///dev/usb/lp0           ESC/POS written to a device file (no status channel)
    cups://QUEUE                         ESC/POS to a raw CUPS queue through pycups
    win32://PRINTER                      ESC/POS to a Windows printer through pywin32
    zpl+tcp://HOST[:PORT]                ZPL on a Zebra (or compatible) network printer
    pdf:///PATH/label.pdf                a PDF at the label's physical size, replaced each job
    pdf:///PATH/DIR/                     one PDF per job, named by its job id

Query parameters: `size=` a name from LABEL_SIZES (defaults: 80mm for ESC/POS, 4x6@203 for
ZPL and PDF); `profile=` the python-escpos profile of the ESC/POS model (default: a model
known to be exactly the size's width, never python-escpos's width-less `default`);
`status=off` for a network printer that does not answer status queries (its jobs can then
only be SENT_UNCONFIRMED); `in_ep=`/`out_ep=` USB endpoints in hex.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final
from urllib.parse import parse_qsl, unquote


class PrinterUriError(ValueError):
    """A printer URI that names no printer this station can drive; the message says why."""


# --------------------------------------------------------------------------- sizes


@dataclass(frozen=True)
class LabelSize:
    """Printable area in printer dots; `height_dots` None is continuous receipt paper."""

    name: str
    width_dots: int
    height_dots: int | None
    dpi: int
    description: str

    @property
    def continuous(self) -> bool:
        return self.height_dots is None

    def __str__(self) -> str:
        height = "continuous" if self.height_dots is None else f"{self.height_dots} dots long"
        return f"{self.description} ({self.width_dots} dots wide, {height}, {self.dpi} dpi)"


def _size(name: str, width: int, height: int | None, dpi: int, description: str) -> LabelSize:
    return LabelSize(name, width, height, dpi, description)


LABEL_SIZES: Final[Mapping[str, LabelSize]] = MappingProxyType({
    size.name: size
    for size in (
        _size("80mm", 576, None, 203, "80 mm receipt paper"),
        _size("58mm", 384, None, 203, "58 mm receipt paper"),
        # Epson's TM-T88 family prints 80 mm paper at 180 dpi, 512 dots.
        _size("80mm@180", 512, None, 180, "80 mm receipt paper at 180 dpi"),
        _size("4x6@203", 812, 1218, 203, "4×6 in label at 203 dpi"),
        _size("4x6@300", 1200, 1800, 300, "4×6 in label at 300 dpi"),
        _size("2x1@203", 406, 203, 203, "2×1 in label at 203 dpi"),
        _size("2x1@300", 600, 300, 300, "2×1 in label at 300 dpi"),
    )
})
RECEIPT_SIZES: Final = frozenset(name for name, s in LABEL_SIZES.items() if s.continuous)
LABEL_STOCK_SIZES: Final = frozenset(name for name, s in LABEL_SIZES.items() if not s.continuous)


def label_size(name: str) -> LabelSize:
    """The size called `name`; raises PrinterUriError listing the known names."""
    try:
        return LABEL_SIZES[name]
    except KeyError:
        raise PrinterUriError(
            f"unknown label size {name!r}; known sizes: {', '.join(LABEL_SIZES)}"
        ) from None


# --------------------------------------------------------------------------- URIs


class Backend(StrEnum):
    ESCPOS_TCP = "escpos+tcp"
    ESCPOS_USB = "escpos+usb"
    ESCPOS_SERIAL = "escpos+serial"
    ESCPOS_FILE = "escpos+file"
    CUPS = "cups"
    WIN32 = "win32"
    ZPL_TCP = "zpl+tcp"
    PDF = "pdf"

    @property
    def language(self) -> str:
        """"escpos", "zpl" or "pdf": what the printer is sent."""
        if self is Backend.ZPL_TCP:
            return "zpl"
        if self is Backend.PDF:
            return "pdf"
        return "escpos"


_FORMS: Final = (
    "escpos+tcp://HOST:9100, escpos+usb://VID:PID, escpos+serial:///dev/ttyUSB0?baud=9600, "
    "escpos+file:///dev/usb/lp0, cups://QUEUE, win32://PRINTER, zpl+tcp://HOST:9100, "
    "pdf:///PATH/label.pdf or pdf:///PATH/DIR/"
)
DEFAULT_PORT: Final = 9100
DEFAULT_BAUD: Final = 9600
BAUD_RATES: Final = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400)
DEFAULT_SIZE: Final[Mapping[str, str]] = MappingProxyType(
    {"escpos": "80mm", "zpl": "4x6@203", "pdf": "4x6@203"}
)
#: A python-escpos profile exactly as wide as the size, for when the URI names none.
DEFAULT_PROFILE: Final[Mapping[str, str]] = MappingProxyType(
    {"80mm": "TM-T20II", "58mm": "POS-5890", "80mm@180": "TM-T88V"}
)
_SIZES_FOR: Final[Mapping[str, frozenset[str]]] = MappingProxyType({
    "escpos": RECEIPT_SIZES,
    "zpl": LABEL_STOCK_SIZES,
    "pdf": frozenset(LABEL_SIZES),
})

_SCHEME: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://(.*)", re.DOTALL)
_HOSTNAME: Final = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?"
)
_HEX_ID: Final = re.compile(r"(?:0[xX])?([0-9A-Fa-f]{1,4})")
_PROFILE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
_WINDOWS_COM: Final = re.compile(r"/?(COM[1-9][0-9]{0,2})", re.IGNORECASE)
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")
_ALLOWED_PARAMS: Final[Mapping[Backend, frozenset[str]]] = MappingProxyType({
    Backend.ESCPOS_TCP: frozenset({"size", "profile", "status"}),
    Backend.ESCPOS_USB: frozenset({"size", "profile", "in_ep", "out_ep"}),
    Backend.ESCPOS_SERIAL: frozenset({"size", "profile", "baud"}),
    Backend.ESCPOS_FILE: frozenset({"size", "profile"}),
    Backend.CUPS: frozenset({"size", "profile"}),
    Backend.WIN32: frozenset({"size", "profile"}),
    Backend.ZPL_TCP: frozenset({"size", "status"}),
    Backend.PDF: frozenset({"size"}),
})


@dataclass(frozen=True)
class PrinterUri:
    """A parsed, validated printer URI. Only the fields of its backend are set."""

    backend: Backend
    text: str
    size: LabelSize
    host: str = ""  # escpos+tcp, zpl+tcp
    port: int = 0
    usb_vendor: int = 0  # escpos+usb
    usb_product: int = 0
    usb_in_ep: int | None = None
    usb_out_ep: int | None = None
    path: str = ""  # escpos+serial (device), escpos+file (device), pdf (file or folder/)
    baud: int = 0  # escpos+serial
    queue: str = ""  # cups queue, win32 printer name
    profile: str = ""  # every escpos backend
    query_status: bool = True  # network printers: ask for status before and after a job

    @property
    def language(self) -> str:
        return self.backend.language

    @property
    def is_directory(self) -> bool:
        """pdf:///DIR/: one file per job inside DIR."""
        return self.backend is Backend.PDF and self.path.endswith(("/", "\\"))

    def __str__(self) -> str:
        return self.text


def _fail(text: str, problem: str) -> PrinterUriError:
    return PrinterUriError(f"printer URI {text!r}: {problem}")


def _params(text: str, backend: Backend, query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise _fail(text, f"malformed query {query!r}; write ?name=value&name=value") from None
    allowed = _ALLOWED_PARAMS[backend]
    for key, value in pairs:
        if key not in allowed:
            raise _fail(text, f"unknown parameter {key!r} for {backend}://; "
                              f"allowed: {', '.join(sorted(allowed))}")
        if key in params:
            raise _fail(text, f"parameter {key!r} is given twice")
        if not value:
            raise _fail(text, f"parameter {key!r} has no value")
        params[key] = value
    return params


def _host_port(text: str, authority: str) -> tuple[str, int]:
    if not authority:
        raise _fail(text, "needs a host, e.g. //192.168.1.50:9100")
    if "@" in authority:
        raise _fail(text, "a printer URI carries no user name or password")
    port_text = ""
    if authority.startswith("["):
        host, bracket, rest = authority[1:].partition("]")
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            bracket = ""
        if not bracket:
            raise _fail(text, f"{authority!r} is not a bracketed IPv6 address like [fe80::1]")
        if rest:
            if not rest.startswith(":"):
                raise _fail(text, f"unexpected {rest!r} after the IPv6 address")
            port_text = rest[1:]
    else:
        host, colon, port_text = authority.partition(":")
        if not _HOSTNAME.fullmatch(host):
            raise _fail(text, f"{host!r} is not a host name or IPv4 address "
                              "(write an IPv6 address in brackets)")
        if re.fullmatch(r"[0-9.]+", host):
            try:
                ipaddress.IPv4Address(host)
            except ValueError:
                raise _fail(text, f"{host!r} is not an IPv4 address") from None
        if colon and not port_text:
            raise _fail(text, "the port after ':' is missing")
    if not port_text:
        return host, DEFAULT_PORT
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise _fail(text, f"port {port_text!r} is not a number from 1 to 65535")
    return host, int(port_text)


def _hex_id(text: str, value: str, what: str) -> int:
    match = _HEX_ID.fullmatch(value)
    if not match or int(match.group(1), 16) == 0:
        raise _fail(text, f"{what} {value!r} is not a hexadecimal USB id (0001-ffff), "
                          "e.g. escpos+usb://04b8:0e15 as lsusb shows it")
    return int(match.group(1), 16)


def _endpoint(text: str, value: str, name: str) -> int:
    try:
        number = int(value, 16)
    except ValueError:
        number = -1
    if not 0 < number <= 0xFF:
        raise _fail(text, f"{name}={value!r} is not a USB endpoint in hex (01-ff, e.g. 0x82)")
    return number


def _plain_name(text: str, authority: str, path: str, what: str, example: str) -> str:
    if path not in ("", "/"):
        raise _fail(text, f"unexpected path {path!r} after the {what}; write a '/' in the "
                          "name as %2F")
    name = unquote(authority)
    if not name.strip():
        raise _fail(text, f"needs the {what}, e.g. {example}")
    if _CONTROL.search(name) or "#" in name:
        raise _fail(text, f"the {what} {name!r} holds a control character or '#'")
    return name


def _device_path(text: str, authority: str, path: str, example: str) -> str:
    if authority and authority != "localhost":
        raise _fail(text, f"the device is a local path: write three slashes, e.g. {example}")
    device = unquote(path)
    com = _WINDOWS_COM.fullmatch(device)
    if com:
        return com.group(1).upper()
    if not device.startswith("/") or device.endswith("/") or len(device) < 2:
        raise _fail(text, f"needs an absolute device path, e.g. {example}")
    if _CONTROL.search(device):
        raise _fail(text, "the device path holds a control character")
    return device


def _pdf_path(text: str, authority: str, path: str) -> str:
    if authority and authority != "localhost":
        raise _fail(text, "a PDF goes to a local path: write three slashes, "
                          "e.g. pdf:///srv/labels/ or pdf:///C:/labels/")
    local = unquote(path)
    if re.fullmatch(r"/[A-Za-z]:[/\\].*", local):  # pdf:///C:/labels/
        local = local[1:]
    if not local.startswith("/") and not re.match(r"[A-Za-z]:[/\\]", local):
        raise _fail(text, "needs an absolute path, e.g. pdf:///srv/labels/ (a folder, one "
                          "file per job) or pdf:///srv/labels/label.pdf")
    if _CONTROL.search(local):
        raise _fail(text, "the path holds a control character")
    if local.endswith(("/", "\\")):
        return local
    if not local.lower().endswith(".pdf"):
        raise _fail(text, "a single file must end in .pdf; end a folder with '/'")
    return local


def parse_printer_uri(text: str) -> PrinterUri:
    """Parse and validate `text`; raises PrinterUriError naming what is wrong and how to
    write it. (An empty printer.uri means "no printer" and is the caller's business.)"""
    raw = text.strip()
    if not raw:
        raise PrinterUriError(f"the printer URI is empty; write one of {_FORMS}")
    if _CONTROL.search(raw):
        raise _fail(raw, "holds a control character")
    match = _SCHEME.fullmatch(raw)
    if not match:
        raise _fail(raw, f"is not a URI of the form SCHEME://...; write one of {_FORMS}")
    scheme = match.group(1).lower()
    try:
        backend = Backend(scheme)
    except ValueError:
        raise _fail(raw, f"unknown scheme {scheme!r}; write one of {_FORMS}") from None
    rest, _, fragment = match.group(2).partition("#")
    if fragment:
        raise _fail(raw, "a printer URI has no '#fragment'")
    rest, _, query = rest.partition("?")
    authority, slash, path = rest.partition("/")
    path = slash + path
    params = _params(raw, backend, query)

    size_name = params.get("size", DEFAULT_SIZE[backend.language])
    if size_name not in LABEL_SIZES:
        raise _fail(raw, f"unknown size {size_name!r}; known sizes: {', '.join(LABEL_SIZES)}")
    size = LABEL_SIZES[size_name]
    allowed_sizes = _SIZES_FOR[backend.language]
    if size.name not in allowed_sizes:
        kind = "receipt" if backend.language == "escpos" else "label"
        raise _fail(raw, f"size {size.name!r} ({size.description}) is not {kind} media for "
                         f"{backend}://; use one of {', '.join(sorted(allowed_sizes))}")
    fields: dict[str, object] = {}

    if backend.language == "escpos":
        profile = params.get("profile", DEFAULT_PROFILE[size.name])
        if profile.lower() == "default":
            raise _fail(raw, "python-escpos's 'default' profile has no known paper width; "
                             "name the printer model's profile, e.g. profile=TM-T20II")
        if not _PROFILE.fullmatch(profile):
            raise _fail(raw, f"profile {profile!r} is not a python-escpos profile name")
        fields["profile"] = profile

    if "status" in params:
        if params["status"] not in ("on", "off"):
            raise _fail(raw, f"status={params['status']!r}: write status=on or status=off")
        fields["query_status"] = params["status"] == "on"

    if backend in (Backend.ESCPOS_TCP, Backend.ZPL_TCP):
        if path not in ("", "/"):
            raise _fail(raw, f"a network printer URI has no path ({path!r}); "
                             f"write {backend}://HOST:9100")
        fields["host"], fields["port"] = _host_port(raw, authority)
    elif backend is Backend.ESCPOS_USB:
        if path not in ("", "/"):
            raise _fail(raw, f"unexpected path {path!r}; write escpos+usb://VID:PID")
        vendor, colon, product = authority.partition(":")
        if not colon:
            raise _fail(raw, "needs vendor and product id as VID:PID, e.g. escpos+usb://04b8:0e15")
        fields["usb_vendor"] = _hex_id(raw, vendor, "vendor id")
        fields["usb_product"] = _hex_id(raw, product, "product id")
        if "in_ep" in params:
            fields["usb_in_ep"] = _endpoint(raw, params["in_ep"], "in_ep")
        if "out_ep" in params:
            fields["usb_out_ep"] = _endpoint(raw, params["out_ep"], "out_ep")
    elif backend is Backend.ESCPOS_SERIAL:
        fields["path"] = _device_path(raw, authority, path, "escpos+serial:///dev/ttyUSB0")
        baud_text = params.get("baud", str(DEFAULT_BAUD))
        if not baud_text.isdigit() or int(baud_text) not in BAUD_RATES:
            raise _fail(raw, f"baud={baud_text!r} is not one of "
                             f"{', '.join(map(str, BAUD_RATES))}")
        fields["baud"] = int(baud_text)
    elif backend is Backend.ESCPOS_FILE:
        fields["path"] = _device_path(raw, authority, path, "escpos+file:///dev/usb/lp0")
    elif backend is Backend.CUPS:
        queue = _plain_name(raw, authority, path, "CUPS queue name", "cups://receipt_80mm")
        if "/" in queue or any(char.isspace() for char in queue):
            raise _fail(raw, f"a CUPS queue name has no '/' or spaces ({queue!r})")
        fields["queue"] = queue
    elif backend is Backend.WIN32:
        fields["queue"] = _plain_name(raw, authority, path, "Windows printer name",
                                      "win32://EPSON%20TM-T20II%20Receipt")
    else:  # Backend.PDF
        fields["path"] = _pdf_path(raw, authority, path)

    return PrinterUri(backend=backend, text=raw, size=size, **fields)  # type: ignore[arg-type]
