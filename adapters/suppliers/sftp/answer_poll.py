"""One poll of every SFTP supplier's answer folder: each new file read and applied once
(tandem.connector.services.answer_files), then moved to the processed folder.

One SFTP session per supplier and poll. A file is moved only after its answers and its record
are committed; a file whose download fails stays for the next poll. A supplier whose server
cannot be reached fails its check (`answers:<supplier>`) and the other suppliers still go on.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from tandem.adapters.suppliers.sftp.answers import AnswerFolder, FileTooLarge
from tandem.adapters.suppliers.sftp.channel import SftpChannel
from tandem.connector.channels import ChannelError, TransientError
from tandem.connector.configuration import TandemConfig
from tandem.connector.configuration.answers import SftpAnswers
from tandem.connector.configuration.model import SupplierConfig
from tandem.connector.configuration.transports import SftpTransport
from tandem.connector.health import Failure
from tandem.connector.services.answer_files import apply_answer_file, digest, file_unread
from tandem.connector.store import Database


@dataclass
class AnswersReport:
    applied: list[str] = field(default_factory=list)  # what the answers changed, and moves
    problems: list[str] = field(default_factory=list)  # bad rows and unreadable files
    failures: list[str] = field(default_factory=list)  # suppliers whose folder was not read
    checked: list[str] = field(default_factory=list)
    failing: list[Failure] = field(default_factory=list)


async def read_sftp_answers(
    db: Database, config: TandemConfig, now: datetime, *, timeout: float = 30.0
) -> AnswersReport:
    report = AnswersReport()
    for supplier in config.suppliers:
        transport = supplier.transport
        if not isinstance(transport, SftpTransport) or transport.answers is None:
            continue
        check = f"answers:{supplier.id}"
        report.checked.append(check)
        try:
            await _read_folder(
                db, config, supplier, transport, transport.answers, now, timeout, report
            )
        except ChannelError as exc:
            reason = f"answers of {supplier.id} not read: {exc}"
            report.failures.append(reason)
            transient = isinstance(exc, TransientError)
            report.failing.append(Failure(check, reason, supplier.id, lasting=not transient))
    return report


async def _read_folder(
    db: Database,
    config: TandemConfig,
    supplier: SupplierConfig,
    transport: SftpTransport,
    settings: SftpAnswers,
    now: datetime,
    timeout: float,
    report: AnswersReport,
) -> None:
    channel = SftpChannel(transport, supplier, timeout=timeout)
    async with channel.session() as sftp:
        folder = AnswerFolder(sftp, settings, timeout)
        for file in (await folder.files())[: settings.batch]:
            try:
                content = await folder.download(file)
            except FileTooLarge as exc:
                key = f"{file.name}:size:{file.size}:{file.mtime}"
                outcome = await asyncio.to_thread(
                    file_unread, db, supplier, file.path, key, str(exc), now
                )
                report.problems.extend(outcome.problems)
                continue
            outcome = await asyncio.to_thread(
                apply_answer_file, db, config, supplier, settings, file.path, content, now
            )
            report.applied.extend(outcome.applied)
            report.problems.extend(outcome.problems)
            if outcome.status == "failed":
                continue  # stays, and is read again next time
            moved = await folder.move_processed(file, digest(content))
            if outcome.status != "seen":
                report.applied.append(moved)
