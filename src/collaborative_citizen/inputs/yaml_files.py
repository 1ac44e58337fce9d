"""Reading the project's YAML files (codebook, wave.yml, report.yml, essays' front matter) strictly: duplicate
keys and alias bombs are refused, and a parse error becomes one line with its line and column."""

from __future__ import annotations

import yaml

# libyaml's parser where PyYAML was built with it (its wheels are): the same documents, parsed ten times faster
# (each notebook reads the codebook and report.yml).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str):
    """yaml.safe_load, with libyaml's parser when there is one, as strict as load_yaml_unique: every YAML file
    the project reads refuses duplicate keys and alias bombs."""
    return load_yaml_unique(text)


class _UniqueKeyLoader(SAFE_LOADER):
    """PyYAML's safe loader, except that a mapping may not repeat a key: plain PyYAML silently keeps the last
    one, so a copied-and-edited entry would quietly replace the question above it."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            continue  # the base constructor reports unhashable keys itself
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"duplicate key {key!r} (first at line {seen[key] + 1}; a key may appear only once)",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)
# Dates stay text: the fields that hold one check it themselves, with a message naming the field.
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))

# A document whose aliases expand to more nodes than this is refused before it is built: an "alias bomb" of a
# few lines expands to billions and takes the machine's memory (the codebook has about 2,000 nodes).
MAX_YAML_NODES = 200_000


def _expanded_size(root: yaml.Node) -> int:
    """How many nodes the document would have with every alias expanded, counted without expanding them."""
    sizes: dict[int, int] = {}
    stack = [(root, False)]
    on_path: set[int] = set()
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        children = (
            [n for pair in node.value for n in pair]
            if isinstance(node, yaml.MappingNode)
            else list(node.value)
            if isinstance(node, yaml.SequenceNode)
            else []
        )
        if children_done:
            on_path.discard(key)
            sizes[key] = min(1 + sum(sizes[id(c)] for c in children), MAX_YAML_NODES + 1)
            continue
        if key in on_path:
            raise yaml.constructor.ConstructorError(
                None, None, "an alias refers to itself (expected no recursion)", node.start_mark
            )
        on_path.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def load_yaml_unique(text: str):
    """Parse YAML refusing duplicate keys (yaml.ConstructorError names the key and both lines) and documents whose
    aliases expand beyond MAX_YAML_NODES; dates are kept as text."""
    loader = _UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_YAML_NODES:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"its aliases expand to more than {MAX_YAML_NODES:,} values (expected a plain file; an alias bomb?)",
                node.start_mark,
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def yaml_problem(error: yaml.YAMLError) -> str:
    """'line 12: duplicate key 'label' (...)' from a PyYAML error, without its multi-line layout."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return where + " ".join(str(problem).split())
