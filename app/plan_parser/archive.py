"""Guards for the zip containers of Office files (.docx, .xlsx): unpacked size, encryption, corruption."""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass

from .errors import DocumentError

#: Uncompressed XML a plan document may unpack to (a 143 KB file unpacking to 42 MB held a worker 240 s).
MAX_XML_BYTES = 20 * 1024 * 1024
#: Everything a file may unpack to, pictures included (uploads are at most a few MB, pictures barely shrink).
_MAX_UNPACKED = 50 * 1024 * 1024
_CHUNK = 256 * 1024
#: General purpose flag bit 0: the member is encrypted.
_ENCRYPTED = 0x1


@dataclass(frozen=True)
class OfficeKind:
    """How messages name one kind of Office file."""

    noun: str  # 该 .docx 文档
    extension: str  # .docx
    program: str  # Word
    plain: str  # the plain alternative: .txt
    thing: str  # Word 文档
    max_xml: int = MAX_XML_BYTES


DOCX = OfficeKind("该 .docx 文档", ".docx", "Word", ".txt", "Word 文档")
#: A task table is a few hundred rows at most: 5 MB of sheet XML is far beyond any real one, and openpyxl
#: keeps every cell in memory.
XLSX = OfficeKind("该 .xlsx 表格", ".xlsx", "Excel", ".csv", "Excel 表格", 5 * 1024 * 1024)


def check_archive(data: bytes, required: str, kind: OfficeKind) -> None:
    """Make sure the zip is a readable Office file of reasonable unpacked size, before a library opens it.

    Every member is inflated here once, its bytes counted as they come out: the sizes in a zip's
    headers are the sender's word, and a corrupt, encrypted or exotic member must be refused with a
    message rather than fail somewhere inside python-docx or openpyxl.
    """
    unsupported = (f"{kind.noun}使用了不支持的压缩格式，无法读取。"
                   f"请在 {kind.program} 中重新另存为 {kind.extension} 后上传。")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if required not in {info.filename for info in infos}:
                raise DocumentError(f"该压缩包不是 {kind.thing}（缺少 {required}），"
                                    f"请上传 {kind.extension} 或 {kind.plain} 文件。")
            budget = _Budget(kind)
            for info in infos:
                _inflate(archive, info, budget, unsupported)
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{kind.noun}中的文件名无法识别，文件可能已损坏。"
                            f"请在 {kind.program} 中重新另存后上传。") from exc
    except NotImplementedError as exc:
        raise DocumentError(unsupported) from exc
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise DocumentError(f"该文件不是有效的 {kind.extension} {kind.thing[-2:]}（压缩包已损坏），"
                            f"请在 {kind.program} 中重新另存后上传。") from exc


@dataclass
class _Budget:
    """Bytes inflated so far: XML parts, and everything."""

    kind: OfficeKind
    xml: int = 0
    total: int = 0

    def spend(self, name: str, size: int) -> None:
        """Count ``size`` more bytes of member ``name``; raises DocumentError past a cap."""
        self.total += size
        if name.lower().endswith((".xml", ".rels")):
            self.xml += size
        if self.xml > self.kind.max_xml or self.total > _MAX_UNPACKED:
            over_xml = self.xml > self.kind.max_xml
            cap = f"{self.kind.thing[-2:]}内容不能超过 {self.kind.max_xml // 2**20} MB" if over_xml \
                else f"连同图片不能超过 {_MAX_UNPACKED // 2**20} MB"
            raise DocumentError(f"{self.kind.noun}解压后过大（{cap}），无法导入。"
                                f"请删去与计划无关的内容，或另存为 {self.kind.plain} 后上传。")


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget, unsupported: str) -> None:
    """Inflate one member in chunks, charging the budget as it goes (CRC checked at its end)."""
    if info.flag_bits & _ENCRYPTED:
        raise DocumentError(f"{budget.kind.noun}已加密（设置了打开密码），无法读取。请取消密码后重新保存再上传。")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise DocumentError(unsupported)
    with archive.open(info) as member:
        while chunk := member.read(_CHUNK):
            budget.spend(info.filename, len(chunk))
