"""AMP rules, validation and the ``amp-render validate`` command.

* :mod:`amp_publisher.core.amp.rules` - the official validator rules for ``html_format: AMP``
  (generated
  data, typed accessors); the conversion step's tag-and-attribute sanitizer reads it too.
* :mod:`amp_publisher.core.amp.validator` - ``validate(html) -> ValidationResult``, the publish
  gate.
* :mod:`amp_publisher.local.validate` - ``amp-render validate FILE... [--format text|json]``.

Submodules are imported on demand (nothing heavy at package import).
"""
