"""Plan-document parser: turns a work plan (.txt, .docx or pasted text) into sections,
tasks, responsibility annotations and quantitative targets.

Pure Python (stdlib, lxml, python-docx); nothing here imports Flask or the database.
"""

from .errors import DocumentError
from .model import ParsedPlan, Section, Target, Task
from .parse import parse_document, parse_text
from .reading import read_document

__all__ = ["DocumentError", "ParsedPlan", "Section", "Target", "Task",
           "parse_document", "parse_text", "read_document"]
