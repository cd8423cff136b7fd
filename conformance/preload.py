"""NIST's "preload the images" step of the XDS-I.b tests, done by the runner.

Before the ``imaging-source`` suite runs, :func:`preload`

1. binds the RAD-69 requests to the Imaging Document Source under test: NIST's requests
   address the RepositoryUniqueId NIST tells the SUT to use (``1.3.6.1.4.1.21367.13.80.110``,
   ids_4801 readme) or, in the consumer self-test idc_4837, NIST's IDS simulator
   (``1.3.6.1.4.1.21367.102.1.1``). With ``--imaging-source-id OID`` every
   ``RepositoryUniqueId`` equal to one of those is replaced by OID in a bound copy of the
   test (a test kit root in the run's scratch folder, searched before the corpus); other
   values (the deliberately wrong ``...110.999`` of the negative cases) stay as written;
2. generates the equivalent of every instance a positive RAD-69/RAD-55 step requests
   (:mod:`conformance.equivalents`) and stores it by STOW-RS (PS3.18 10.5) at the DICOMweb
   endpoint, one request per study, with dicomweb-client.

The loaded bytes go into :attr:`~conformance.config.RunConfig.loaded_instances`; the judges
then compare what RAD-69 and RAD-55 return with them (:mod:`conformance.imaging`).
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
import requests
from dicomweb_client.api import DICOMwebClient
from lxml import etree

from conformance import equivalents
from conformance.corpus import Corpus
from conformance.testplan import load_test
from profiles import namespaces as ns
from xds_common.xml import XmlRejected, parse

#: The RepositoryUniqueId NIST's IDS tests tell the SUT to use (ids_4801 readme).
NIST_IDS = "1.3.6.1.4.1.21367.13.80.110"
#: NIST's IDS simulator, addressed by the consumer self-test idc_4837.
NIST_IDS_SIMULATOR = "1.3.6.1.4.1.21367.102.1.1"
NIST_IDS_OIDS = frozenset({NIST_IDS, NIST_IDS_SIMULATOR})
#: Folder of the bound test kit inside the run's scratch folder.
BOUND_KIT = "imaging-bound"
_REPOSITORY_UID = ns.qn(ns.XDSB, "RepositoryUniqueId")


@dataclass
class Preloaded:
    """What the preparation did: test kit roots to search first, the loaded instances by SOP
    Instance UID, settings rows and notes for the report."""

    roots: tuple[Path, ...] = ()
    loaded: dict[str, bytes] = field(default_factory=dict)
    #: the SOP Instance UIDs each positive retrieve step asks for
    asked: dict[equivalents.StepKey, list[str]] = field(default_factory=dict)
    settings: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def preload(
    corpus: Corpus,
    tests: Iterable[str],
    scratch: Path,
    dicomweb: str | None,
    imaging_source_id: str = "",
    timeout: float = 30.0,
) -> Preloaded:
    """Bind the RAD-69 requests of ``tests`` to ``imaging_source_id`` and, when ``dicomweb``
    is given, load the equivalents of the image sets their positive steps request."""
    tests = list(tests)
    done = Preloaded()
    if imaging_source_id:
        root = bind_repository_ids(corpus, tests, scratch / BOUND_KIT, imaging_source_id)
        done.roots = (root,)
        done.settings.append(("RAD-69 RepositoryUniqueId", f"{imaging_source_id} (sent for "
                              f"NIST's {NIST_IDS} and {NIST_IDS_SIMULATOR})"))  # fmt: skip
        corpus = Corpus(corpus.root, (root, *corpus.extra_testkits))
    else:
        done.notes.append(
            f"RAD-69 requests are sent with NIST's RepositoryUniqueId {NIST_IDS} as written: "
            "configure the imaging source with it (NIST ids_4801) or pass --imaging-source-id"
        )
    if dicomweb is None:
        done.notes.append("no equivalents loaded (--no-load-equivalents or no DICOMweb URL): "
                          "positive RAD-69/RAD-55 cases need NIST's image sets loaded")  # fmt: skip
        return done
    asks = equivalents.wanted_instances(corpus, tests)
    wanted, done.asked = asks.instances, asks.asked
    done.notes.extend(f"{u.asked_by}: instances not known ({u.reason})" for u in asks.unknown)
    files = equivalents.build(wanted)
    for study, items in equivalents.by_study(wanted):
        stored, problem = store(dicomweb, study, [files[w.sop] for w in items], timeout)
        done.loaded.update((uid, files[uid]) for uid in stored)
        if problem:
            done.notes.append(f"STOW-RS of equivalent study {study} to {dicomweb}: {problem}")
    done.settings.append(
        (
            "preloaded equivalents",
            f"{len(done.loaded)} of {len(wanted)} instance(s) by STOW-RS to {dicomweb}",
        )
    )
    return done


def store(dicomweb: str, study: str, files: list[bytes], timeout: float) -> tuple[list[str], str]:
    """STOW-RS ``files`` to ``dicomweb`` (PS3.18 10.5); the SOP Instance UIDs stored and a
    problem description ('' when every instance was stored; refused instances are listed in
    the response's Failed SOP Sequence (0008,1198), PS3.18 10.5.3 and Annex I)."""
    datasets = [pydicom.dcmread(io.BytesIO(f)) for f in files]
    uids = [str(ds.SOPInstanceUID) for ds in datasets]
    client = DICOMwebClient(url=dicomweb, timeout=timeout)
    try:
        response = client.store_instances(datasets, study_instance_uid=study)
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        return [], f"HTTP {status}: nothing stored"
    except requests.RequestException as exc:
        return [], f"{type(exc).__name__}: {exc}"
    failed = {
        str(item.get("ReferencedSOPInstanceUID", ""))
        for item in response.get("FailedSOPSequence") or ()
    }
    stored = [uid for uid in uids if uid not in failed]
    problem = f"{len(failed)} instance(s) refused: {sorted(failed)}" if failed else ""
    return stored, problem


def bind_repository_ids(corpus: Corpus, tests: Iterable[str], root: Path, sut_id: str) -> Path:
    """Copy every test with a RAD-69 step to ``root/tests/<id>`` with its request files next
    to the plans and NIST's IDS RepositoryUniqueIds replaced by ``sut_id``; return ``root``."""
    for test_id in tests:
        source = corpus.test_dir(test_id)
        if source is None:
            continue
        test = load_test(source)
        steps = [
            (section, step)
            for section in test.sections
            for step in section.steps
            if step.transaction in equivalents.RAD69_ELEMENTS and step.metadata_file
        ]
        if not steps:
            continue
        target = root / "tests" / test_id
        shutil.copytree(source, target, dirs_exist_ok=True)
        for section, step in steps:
            name = step.metadata_file or ""
            request = corpus.resolve_file(section.path, name)
            if request is None:
                continue  # reported by the step itself ("file not found")
            destination = target / section.path.relative_to(source) / name
            destination.write_bytes(bound_request(request.read_bytes(), sut_id))
    return root


def bound_request(request: bytes, sut_id: str) -> bytes:
    """The RAD-69 request with every RepositoryUniqueId of :data:`NIST_IDS_OIDS` set to
    ``sut_id`` (RAD TF-3 4.69.4.1.2); a request that does not parse is returned as it is."""
    try:
        root = parse(request.lstrip())
    except XmlRejected:
        return request
    for element in root.iter(_REPOSITORY_UID):
        if (element.text or "").strip() in NIST_IDS_OIDS:
            element.text = sut_id
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
