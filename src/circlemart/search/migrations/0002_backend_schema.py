"""The search backend's own database objects, per vendor: on SQLite the FTS5 tables and the
triggers that keep them in step with search_productdocument; on PostgreSQL the pg_trgm
extension, the generated tsvector column and the GIN indexes. Other vendors: nothing.

The SQL lives in the backend modules, so `post_migrate` can recreate exactly the same
objects when a later table rebuild drops them.
"""

from django.db import migrations


def install(apps, schema_editor):
    from circlemart.search.backends import backend_for_vendor

    backend = backend_for_vendor(schema_editor.connection.vendor)
    if backend is not None:
        backend.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from circlemart.search.backends import backend_for_vendor

    backend = backend_for_vendor(schema_editor.connection.vendor)
    if backend is not None:
        backend.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
