package tui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mcpwatch/mcpwatch/probe"
)

// paint wraps text in SGR sequences. Cells are painted with sequences that
// set and reset only what they change (foreground, intensity), never a full
// reset, so a painted cell can sit inside a highlighted row without ending
// the highlight. The zero paint leaves text untouched and costs nothing,
// which is what every paint is when colour is off.
type paint struct{ on, off string }

func (p paint) render(s string) string {
	if p.on == "" || s == "" {
		return s
	}
	return p.on + s + p.off
}

// fg paints the foreground c, optionally bold.
func fg(c color.Color, bold bool) paint {
	st := ansi.Style{}.ForegroundColor(c)
	off := "\x1b[39m"
	if bold {
		st = st.Bold()
		off = "\x1b[22;39m"
	}
	return paint{on: st.String(), off: off}
}

// styles is everything the views paint with, built once per colour decision
// and background (light or dark) rather than per frame.
type styles struct {
	status   map[probe.Status]paint
	title    paint // product name
	accent   paint // view state in the title line
	dim      paint // secondary text: ages, sparklines, absent values
	header   paint // column headings and detail section headings
	label    paint // detail field labels
	warn     paint
	bad      paint
	good     paint
	selected paint // the whole selected row
	help     help.Styles
	input    textinput.Styles
}

// newStyles picks colours for the background. With colour off every paint is
// empty except the selection, which uses reverse video: an attribute, not a
// colour, so NO_COLOR terminals can still see where the cursor is.
func newStyles(isDark, useColor bool) styles {
	if !useColor {
		plain := lipgloss.NewStyle()
		in := textinput.DefaultStyles(isDark)
		in.Focused = textinput.StyleState{Text: plain, Placeholder: plain, Suggestion: plain, Prompt: plain}
		in.Blurred = in.Focused
		in.Cursor.Color = nil
		return styles{
			status:   map[probe.Status]paint{},
			selected: paint{on: "\x1b[7m", off: "\x1b[27m"},
			help: help.Styles{
				Ellipsis: plain, ShortKey: plain, ShortDesc: plain, ShortSeparator: plain,
				FullKey: plain, FullDesc: plain, FullSeparator: plain,
			},
			input: in,
		}
	}
	ld := lipgloss.LightDark(isDark)
	c := func(light, dark string) color.Color { return ld(lipgloss.Color(light), lipgloss.Color(dark)) }

	red := c("#B3261E", "#FF6B6B")
	magenta := c("#9C27B0", "#E48CFF")
	yellow := c("#8A6100", "#F2C94C")
	green := c("#1E7B34", "#6BD88A")
	blue := c("#1F5FA8", "#79B8FF")
	gray := c("#6A737D", "#8B949E")
	violet := c("#5B3CC4", "#B69CFF")

	s := styles{
		status: map[probe.Status]paint{
			probe.StatusAuthError: fg(magenta, true),
			probe.StatusUnhealthy: fg(red, true),
			probe.StatusDegraded:  fg(yellow, false),
			probe.StatusHealthy:   fg(green, false),
			probe.StatusSkipped:   fg(blue, false),
			probe.StatusUnknown:   fg(gray, false),
		},
		title:  fg(violet, true),
		accent: fg(violet, false),
		dim:    fg(gray, false),
		header: paint{on: "\x1b[1m", off: "\x1b[22m"},
		label:  fg(gray, false),
		warn:   fg(yellow, false),
		bad:    fg(red, false),
		good:   fg(green, false),
		selected: paint{
			on:  ansi.Style{}.BackgroundColor(c("#DDE6F3", "#2D3440")).String(),
			off: "\x1b[49m",
		},
		help:  help.DefaultStyles(isDark),
		input: textinput.DefaultStyles(isDark),
	}
	s.help.ShortKey = s.help.ShortKey.Foreground(violet)
	s.help.FullKey = s.help.FullKey.Foreground(violet)
	s.input.Focused.Prompt = lipgloss.NewStyle().Foreground(violet)
	return s
}

func (s styles) forStatus(st probe.Status) paint {
	return s.status[st] // the zero paint for an unknown status or with colour off
}
