"""``manage.py restore PATH``: restore a backup made by ``manage.py backup`` into the
database of DATABASE_URL (README.md, "Backup and restore"). The target must be empty
(no table) unless ``--force``, which replaces its content."""

from django.core.management.base import BaseCommand

from artisanat.backup import restore


class Command(BaseCommand):
    help = "Restaure une sauvegarde de « manage.py backup » dans une base vide (--force : remplace son contenu)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="fichier de sauvegarde à restaurer")
        parser.add_argument("--force", action="store_true", help="remplacer le contenu d'une base non vide")
        parser.add_argument("--database", default="default", help="alias de la base (default)")

    def handle(self, *args, path, force, database, **options):
        counts = restore(path, alias=database, force=force)
        self.stdout.write(f"restore : {path} restauré — {len(counts)} tables, {sum(counts.values())} lignes.")
