import { createElement } from 'react'
import { DataScreen } from '../features/data/data-screen'
import { WelcomeScreen } from '../features/welcome/welcome-screen'
import { registerScreen } from './screen-registry'

// Every screen the app offers, in one place.
registerScreen('welcome', { render: () => createElement(WelcomeScreen), availability: () => ({ open: true }) })
registerScreen('data', { render: () => createElement(DataScreen), availability: () => ({ open: true }) })
