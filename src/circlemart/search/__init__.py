"""Product search: a denormalised index over the catalog, queried through one backend interface."""
