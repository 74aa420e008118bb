"""The public open-data pages: /donnees/<lang>/… (fr, ar, en), included by config/urls.py."""

app_name = "opendata"

urlpatterns = []
