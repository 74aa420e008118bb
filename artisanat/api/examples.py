"""Worked examples in the OpenAPI schema as ``components/examples`` referenced by
``$ref``: openapi-generator (typescript-fetch 7.x) warns "Failed to get the schema name:
null" on every inline response example, and not on a referenced one.

``ExampleRefMixin`` goes before the project's AutoSchema in a view's ``schema`` class;
each example is registered once under its name (names are unique across the schema)."""

from drf_spectacular.plumbing import ResolvedComponent

from artisanat.api.schema import AutoSchema


class ExampleRefMixin:
    def _get_examples(self, *args, **kwargs):
        examples = super()._get_examples(*args, **kwargs)
        referenced = {}
        for name, example in examples.items():
            component = ResolvedComponent(name=name, type=ResolvedComponent.EXAMPLE, object=name, schema=example)
            self.registry.register_on_missing(component)
            referenced[name] = component.ref
        return referenced


class ExampleRefSchema(ExampleRefMixin, AutoSchema):
    """The project's AutoSchema with referenced examples (a view's ``schema``)."""
