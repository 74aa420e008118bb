"""``manage.py backup PATH``: a consistent backup of the whole database (README.md,
"Backup and restore"). PostgreSQL: pg_dump's custom format; SQLite: the online backup
API. Restore it with ``manage.py restore PATH``."""

from django.core.management.base import BaseCommand

from artisanat.backup import backup


class Command(BaseCommand):
    help = "Sauvegarde toute la base (PostgreSQL : pg_dump -Fc ; SQLite : API de sauvegarde en ligne)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="fichier de sauvegarde à écrire")
        parser.add_argument("--force", action="store_true", help="remplacer le fichier s'il existe")
        parser.add_argument("--database", default="default", help="alias de la base (default)")

    def handle(self, *args, path, force, database, **options):
        counts = backup(path, alias=database, force=force)
        self.stdout.write(f"backup : {path} écrit — {len(counts)} tables, {sum(counts.values())} lignes.")
