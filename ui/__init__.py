"""What every page shares, and the only Streamlit code outside app.py and app_pages/:

- database: the engine, reads and shared reads, and the one way a page shows that the database
  is away (and comes back by itself when it returns);
- identity: who is looking, and whether they may act;
- actions: the one way a page runs a guarded action and shows why one was not done;
- widgets: the sidebar, the trigger banner and control, tables, and the SQL behind a figure;
- serve: scripts/console's launcher, which opens the database, saying so, then runs Streamlit.
"""
