"""The staff phone app's server side: the shell page, the service worker script, the web
manifest, the translation catalogs as JSON and the content-hashed static assets the service
worker precaches."""
