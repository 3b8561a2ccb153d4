"""The data path is the architecture: web/ renders plain data and never touches Whoosh."""
import ast
import pickle
from pathlib import Path

from indexer.analysis import ANALYZER
from indexer.schema import make_schema

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_web_never_imports_whoosh():
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in imported_modules(p) if m.split(".")[0] == "whoosh")
                 for p in (ROOT / "web").rglob("*.py")}
    assert not {k: v for k, v in offenders.items() if v}


def test_indexer_does_not_depend_on_search_or_web():
    for p in (ROOT / "indexer").rglob("*.py"):
        assert not {m for m in imported_modules(p) if m.split(".")[0] in ("search", "web")}, p


def test_schema_pickles_with_the_module_level_analyzer():
    schema = pickle.loads(pickle.dumps(make_schema()))
    assert [t.text for t in schema["body"].analyzer("Районунда коррупцияга")] == \
           [t.text for t in ANALYZER("Районунда коррупцияга")]
    assert schema["title"].analyzer is not None
