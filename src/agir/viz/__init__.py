"""Pictures: skeleton animations, parameter charts, HTML reports."""
