export TOPI_ENVIRONMENT=sandbox  # then production, with production's credentials
export TOPI_CLIENT_ID=your-client-id TOPI_CLIENT_SECRET=your-client-secret
export TOPI_WEBHOOK_SECRET=whsec_eW91ci13ZWJob29rLXNpZ25pbmctc2VjcmV0
python manage.py check
python manage.py migrate
python manage.py topi_sync_catalog
