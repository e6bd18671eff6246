"""Figure builders: plain functions from results to plotly Figures (no Streamlit here)."""
