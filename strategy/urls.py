app_name = "strategy"
urlpatterns = []
