"""AMP rules, validation and the ``amp-render validate`` command.

* :mod:`amp_renderer.amp.rules` - the official validator rules for ``html_format: AMP`` (generated
  data, typed accessors); the conversion step's tag-and-attribute sanitizer reads it too.
* :mod:`amp_renderer.amp.validator` - ``validate(html) -> ValidationResult``, the publish gate.
* :mod:`amp_renderer.amp.cli` - ``amp-render validate FILE... [--format text|json]``.

Submodules are imported on demand (nothing heavy at package import).
"""
