python manage.py migrate
python manage.py topi_sync_catalog
python manage.py runserver
