"""PDF and Word articles: real files written here (fpdf2, python-docx, pypdf's encryption) are
indexed with the real model and Chroma and answered with citations; a PDF citation names the
page its quote is on. Encrypted, scanned and damaged files are reported and skipped while the
rest index, and an index built before pages were kept still opens, answers and takes PDFs."""

from __future__ import annotations

import io
import json
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import docx
import pytest
from conftest import SEED, index, open_live_db, run_cli, settings_for
from fpdf import FPDF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfWriter

from assistant import Assistant
from assistant.models import Answer, Citation
from index.articles import ArticleError
from index.cleaning import clean_pages, clean_text
from index.layout import read_pointer, store_path
from index.loaders import read_articles
from index.office import DocxLoader, PdfLoader
from index.prepare import prepare
from ui.render import sources_html

HEADER = "Harbour Gazette - Council Edition"
# Printed mid-page on page 1 and again at the top of page 2, where cleaning drops the repeat:
# page 2 then starts at a later offset of the clean text than of the raw one.
NOTICE = "Corrections to this report may be sent to the editor at 4 Quay Street."
PAGES = [
    [
        "The harbour council met on Monday evening to discuss the budget for the new harbour "
        "works. Members argued for two hours about the cost of dredging the outer channel.",
        NOTICE,
        "A motion to delay the vote until the spring was defeated by nine votes to six, and "
        "the budget was approved shortly before midnight.",
    ],
    [
        NOTICE,
        "The mayor, Ingrid Halvorsen, announced that the harbour bridge will reopen on 14 June "
        "after repairs costing 3.2 million euros. Traffic will be diverted along the coastal "
        "road until then.",
        "Shopkeepers on the quay said the closure had cut their takings by a third since the "
        "winter, and asked the council for help with their rents.",
    ],
    [
        "Residents asked about parking near the ferry terminal. The council promised a study "
        "of the matter by the autumn and a public meeting before any new charges are set.",
    ],
]
DOCX_TITLE = "School board approves new science wing"
DOCX_ANSWER = (
    "The board approved a new science wing for Northfield Academy, with six laboratories "
    "and a greenhouse, to be built by the firm Calder and Stone."
)


def write_pdf(path: Path, pages: list[list[str]], **meta: str) -> Path:
    """A text PDF: the running header, then each page's paragraphs, then its page number."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    if "title" in meta:
        pdf.set_title(meta["title"])
    if "author" in meta:
        pdf.set_author(meta["author"])
    pdf.set_creation_date(datetime(2024, 5, 2, 9, 30, tzinfo=UTC))
    for paragraphs in pages:
        pdf.add_page()
        pdf.cell(0, 10, HEADER, new_x="LMARGIN", new_y="NEXT")
        for paragraph in paragraphs:
            pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
        pdf.cell(0, 10, f"Page {pdf.page_no()} of {len(pages)}", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def write_scanned_pdf(path: Path) -> Path:
    """A PDF whose two pages are only pictures, as a scanner makes them: no text layer."""
    pdf = FPDF()
    picture = io.BytesIO()
    Image.new("L", (200, 260), color=230).save(picture, format="PNG")
    for _ in range(2):
        pdf.add_page()
        picture.seek(0)
        pdf.image(picture, x=10, y=10, w=180)
    pdf.output(str(path))
    return path


def write_docx(path: Path) -> Path:
    """A Word document with core properties, a heading, paragraphs and a table."""
    document = docx.Document()
    props = document.core_properties
    props.title = DOCX_TITLE
    props.author = "Priya Raman"
    props.created = datetime(2024, 9, 17, 8, 0)
    document.add_heading(DOCX_TITLE, level=1)
    document.add_paragraph(DOCX_ANSWER + " Work starts in January and should end by the summer.")
    document.add_paragraph(
        "Parents had campaigned for the wing for five years, and the board said the cost "
        "would be met from the county's capital fund rather than from school fees."
    )
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Budget"
    table.cell(0, 1).text = "The wing will cost 11 million pounds."
    document.save(str(path))
    return path


@pytest.fixture(scope="module")
def office_dir(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Good and bad office files in one folder (never modified by a test)."""
    folder = tmp_path_factory.mktemp("office")
    report = write_pdf(
        folder / "council.pdf", PAGES, title="Harbour council report", author="Jane Doe"
    )
    locked = PdfWriter(clone_from=report)
    locked.encrypt("secret")
    locked.write(folder / "locked.pdf")
    data = report.read_bytes()
    (folder / "damaged.pdf").write_bytes(data[: len(data) // 2])
    return {
        "pdf": report,
        "docx": write_docx(folder / "school.docx"),
        "locked": folder / "locked.pdf",
        "scanned": write_scanned_pdf(folder / "scanned.pdf"),
        "damaged": folder / "damaged.pdf",
        "folder": folder,
    }


@pytest.fixture(scope="module")
def office_index(tmp_path_factory: pytest.TempPathFactory, office_dir: dict[str, Path]):
    """The folder indexed once: its good files in, its bad ones reported."""
    index_dir = tmp_path_factory.mktemp("office-index")
    report = index(index_dir, [office_dir["folder"]])
    return settings_for(index_dir), report


def _cited(answer: Answer, title: str) -> Citation:
    found = [c for c in answer.citations if c.title == title]
    assert found, f"no citation of {title!r} in {answer.to_dict()}"
    return found[0]


def test_pdf_answer_cites_the_page_of_its_quote(office_index) -> None:
    settings, _ = office_index
    assistant = Assistant(settings)
    answer = assistant.ask("When will the harbour bridge reopen?")
    assert answer.answered, answer.text
    c = _cited(answer, "Harbour council report")
    assert "harbour bridge will reopen on 14 June" in c.quote
    assert assistant.reader.article(c.article_id).text[c.start : c.end] == c.quote
    assert c.page == 2
    assert c.published == "2024-05-02"
    article = assistant.reader.article(c.article_id)
    # The running header and page numbers are gone, the repeated notice kept once.
    assert HEADER not in article.text and "Page 2 of 3" not in article.text
    assert article.text.count(NOTICE) == 1
    assert article.authors == ["Jane Doe"]
    # The other pages' sentences are on theirs.
    for sentence in ("dredging the outer channel", "motion to delay", "ferry terminal"):
        start = article.text.index(sentence)
        assert article.page_at(start) == (3 if sentence == "ferry terminal" else 1)


def test_docx_answer_is_cited_without_a_page(office_index) -> None:
    settings, _ = office_index
    assistant = Assistant(settings)
    answer = assistant.ask("Which firm will build the science wing at Northfield Academy?")
    assert answer.answered, answer.text
    c = _cited(answer, DOCX_TITLE)
    assert "Calder and Stone" in c.quote
    assert assistant.reader.article(c.article_id).text[c.start : c.end] == c.quote
    assert c.page is None  # Word lays out pages when it opens the file; a .docx has none
    assert c.published == "2024-09-17"
    assert assistant.reader.article(c.article_id).authors == ["Priya Raman"]
    # Table cells are text of the article too.
    cost = assistant.ask("How much will the science wing cost?")
    assert "11 million pounds" in cost.text


def test_bad_pdfs_are_reported_and_skipped_while_the_rest_index(office_index, office_dir) -> None:
    _, report = office_index
    assert report.added == 2
    reasons = {Path(p.path).name: p.reason for p in report.problems}
    assert set(reasons) == {"locked.pdf", "scanned.pdf", "damaged.pdf"}, reasons
    assert reasons["locked.pdf"] == "encrypted PDF (needs a password)"
    assert reasons["scanned.pdf"].startswith("PDF has no text layer (2 pages")
    assert reasons["damaged.pdf"].startswith("damaged PDF (")


def test_cli_shows_the_page_and_json_carries_it(office_index) -> None:
    settings, _ = office_index
    question = "When will the harbour bridge reopen?"
    out = run_cli("ask", question, "--index-dir", str(settings.index_dir), "--json")
    assert out.returncode == 0, out.stderr
    cited = [
        c for c in json.loads(out.stdout)["citations"] if c["title"] == "Harbour council report"
    ]
    assert cited and cited[0]["page"] == 2
    out = run_cli("ask", question, "--index-dir", str(settings.index_dir))
    assert out.returncode == 0, out.stderr
    assert "Harbour council report — 2024-05-02, p. 2" in out.stdout


def test_cli_index_reports_each_bad_file(office_dir, tmp_path: Path) -> None:
    out = run_cli(
        "index", str(office_dir["locked"]), str(office_dir["docx"]), "--index-dir", str(tmp_path)
    )
    assert out.returncode == 3, out.stderr
    assert "encrypted PDF (needs a password)" in out.stderr
    assert "Traceback" not in out.stderr


def test_a_store_from_before_pages_opens_answers_and_takes_pdfs(office_dir, tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "index")
    index(settings.index_dir, [SEED])
    pointer = read_pointer(settings.index_dir)
    assert pointer is not None
    store = store_path(settings.index_dir, pointer.build)
    with sqlite3.connect(store) as conn:
        conn.execute("ALTER TABLE articles DROP COLUMN pages")
    # Read-only, as questions open it, the old store is not changed and still answers.
    answer = Assistant(settings).ask("Who visited Kursk?")
    assert answer.answered and answer.citations[0].page is None
    # The next indexing run adds the column and the PDF's pages.
    report = index(settings.index_dir, [SEED, office_dir["pdf"]])
    assert report.added == 1 and not report.problems
    db = open_live_db(settings.index_dir)
    try:
        assert "pages" in {r[1] for r in db.conn.execute("PRAGMA table_info(articles)")}
    finally:
        db.close()
    answer = Assistant(settings).ask("When will the harbour bridge reopen?")
    assert _cited(answer, "Harbour council report").page == 2


# -- without the model: loaders, page offsets, the chat's source panel ----------------------


def test_the_chat_source_panel_shows_the_page() -> None:
    quote = "The bridge will reopen on 14 June."
    cite = dict(article_id="a", title="Report", source=None, url=None, published="2024-05-02")
    paged = Citation(1, **cite, quote=quote, start=0, end=len(quote), page=2)
    plain = Citation(2, **cite, quote=quote, start=0, end=len(quote))
    html = sources_html(Answer("q", "x [1][2]", True, [paged, plain]))
    assert html.count("<span class='page'>p. 2</span>") == 1


def test_clean_pages_finds_each_page_in_the_clean_text() -> None:
    pages = [
        "Masthead line\n\nFirst page story starts here and goes on.",
        "Masthead line\n\nSecond page text follows.\n\nStill the second page.",
        "Masthead line",  # nothing of page 3 survives cleaning
        "Fourth page closes the report.",
    ]
    text, starts = clean_pages(pages)
    assert text == clean_text("\n\n".join(pages))
    assert starts == [
        (0, 1),
        (text.index("Second page"), 2),
        (text.index("Fourth page"), 4),
    ]


def test_a_sentence_running_on_to_the_next_page_stays_whole(tmp_path: Path) -> None:
    long = (
        "The port authority said that the new container cranes, ordered from a yard in "
        "Rotterdam last spring, would arrive in three shipments over the coming year."
    )
    # The long sentence is split over two pages: page 2 begins mid-sentence, in lower case.
    head, tail = long.split(" would arrive")
    pages = [["Cranes are coming to the port.", head], ["would arrive" + tail]]
    path = write_pdf(tmp_path / "cranes.pdf", pages)
    (raw,) = PdfLoader().read(path, 5 * 2**20)
    article = prepare(raw)
    start = article.text.index("The port authority")
    assert long in article.text
    assert article.page_at(start) == 1
    assert article.title == "Cranes are coming to the port."


def test_password_protected_and_damaged_word_files_are_problems(tmp_path: Path) -> None:
    ole = tmp_path / "locked.docx"
    ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024)
    (problem,) = DocxLoader().read(ole, 5 * 2**20)
    assert "encrypted Word file" in problem.reason
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    (problem,) = DocxLoader().read(broken, 5 * 2**20)
    assert problem.reason.startswith("damaged Word file (")


_GOOD: dict[str, bytes] = {}


def _good_file(suffix: str) -> bytes:
    """A valid PDF or .docx, written once, for damaging."""
    if suffix not in _GOOD:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"good{suffix}"
            if suffix == ".pdf":
                write_pdf(path, PAGES)
            else:
                write_docx(path)
            _GOOD[suffix] = path.read_bytes()
    return _GOOD[suffix]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([".pdf", ".docx"]),
    st.lists(st.tuples(st.floats(0, 0.999), st.binary(min_size=1, max_size=8)), max_size=6),
    st.floats(0.05, 1),
    st.binary(max_size=2000),
)
def test_damaged_office_files_never_crash_the_loaders(
    suffix: str, patches: list[tuple[float, bytes]], keep: float, junk: bytes
) -> None:
    # A real file with bytes overwritten and its end cut off, and bytes that are no file at all.
    data = bytearray(_good_file(suffix))
    for where, replacement in patches:
        i = int(where * len(data))
        data[i : i + len(replacement)] = replacement
    for body in (bytes(data[: max(1, int(keep * len(data)))]), junk):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"fuzz{suffix}"
            path.write_bytes(body)
            raws, problems = read_articles(path, 5 * 2**20)
        assert all(p.reason for p in problems)
        for raw in raws:
            try:
                article = prepare(raw)
            except ArticleError:
                continue
            pages = [article.page_at(start) for start, _ in article.sentences]
            assert all(pages) if suffix == ".pdf" else not any(pages)
