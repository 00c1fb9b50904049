import { createElement } from 'react'
import { filesDropped } from '../features/data/csv-intake-service'
import { DataScreen } from '../features/data/data-screen'
import { installWindowFileDrop } from '../features/data/window-file-drop'
import { WelcomeScreen } from '../features/welcome/welcome-screen'
import { registerScreen } from './screen-registry'

// Every screen the app offers, in one place.
registerScreen('welcome', { render: () => createElement(WelcomeScreen), availability: () => ({ open: true }) })
registerScreen('data', { render: () => createElement(DataScreen), availability: () => ({ open: true }) })

// A CSV dropped anywhere, on any screen, opens the Data screen with it (and never replaces the app).
installWindowFileDrop((files) => void filesDropped(files))
