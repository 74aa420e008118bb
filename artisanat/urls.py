from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from artisanat import views
from artisanat.availability import healthz

organisation_patterns = [
    path("", views.OrganisationListView.as_view(), name="organisation_list"),
    path("<int:pk>/", views.OrganisationDetailView.as_view(), name="organisation_detail"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", views.HomeView.as_view(), name="home"),
    path("organisations/", include((organisation_patterns, "artisanat"))),
    path("connexion/", auth_views.LoginView.as_view(template_name="artisanat/login.html"), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("compte/", include("artisanat.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("artisanat.api.urls")),
    path("strategie/", include("strategy.urls")),
    path("contrats/", include("contracts.urls")),
]
if settings.ARTISANAT_BENCH:  # make bench only (artisanat/bench.py)
    urlpatterns.insert(0, path("bench/", include("artisanat.bench")))
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# With DEBUG off: JSON under /api/, the generic pages elsewhere (artisanat/error_views.py).
handler403 = "artisanat.error_views.permission_denied"  # and logs the security event
handler404 = "artisanat.error_views.page_not_found"
handler500 = "artisanat.error_views.server_error"
