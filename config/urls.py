from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from artisanat.availability import healthz
from opendata.caching import public_cache
from opendata.sitemaps import SITEMAPS
from opendata.views import robots_txt
from portal.views import HomeView

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", HomeView.as_view(), name="home"),
    path("", include("portal.urls")),
    path("connexion/", auth_views.LoginView.as_view(template_name="artisanat/login.html"), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("compte/", include("artisanat.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("config.api_urls")),
    path("strategie/", include("strategy.urls")),
    path("contrats/", include("contracts.urls")),
    path("donnees/", include("opendata.urls")),
    path("sitemap.xml", public_cache(sitemap), {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", robots_txt, name="robots_txt"),
]
# No /media/: uploaded documents are read through their rows' download views only
# (strategy:measurement_evidence, contracts:contract_document; artisanat/documents.py).

# With DEBUG off: JSON under /api/, the generic pages elsewhere (config/error_views.py).
handler400 = "config.error_views.bad_request"
handler403 = "config.error_views.permission_denied"  # and logs the security event
handler404 = "config.error_views.page_not_found"
handler500 = "config.error_views.server_error"
