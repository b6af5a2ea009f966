"""What pages render that needs no Streamlit: charts and literal text."""
